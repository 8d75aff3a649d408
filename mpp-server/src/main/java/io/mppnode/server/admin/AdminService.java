package io.mppnode.server.admin;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.mppnode.exec.storage.Catalog;
import io.mppnode.exec.storage.ColumnSchema;
import io.mppnode.exec.storage.Region;
import io.mppnode.exec.storage.Table;
import io.mppnode.exec.tpch.TpchLoader;
import io.mppnode.exec.tpch.TpchTable;
import io.mppnode.proto.Metapb;
import io.mppnode.proto.admin.AdminGrpc;
import io.mppnode.proto.admin.ImportRequest;
import io.mppnode.proto.admin.ImportResponse;
import io.mppnode.proto.admin.ListTablesRequest;
import io.mppnode.proto.admin.ListTablesResponse;
import io.mppnode.proto.admin.LoadProgress;
import io.mppnode.proto.admin.LoadTpchRequest;
import io.mppnode.proto.admin.RegionDescription;
import io.mppnode.proto.admin.TableDescription;
import io.mppnode.proto.admin.TpchPart;
import io.mppnode.proto.plan.Field;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.arrow.memory.BufferAllocator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin service: lists the node's tables and regions, and loads data into new regions (the
 * TPC-H generator, Arrow IPC). Loads run on their own executor, never on the RPC threads' time
 * budget; a failed load leaves the regions it created in place with what they hold, and says
 * which part failed.
 */
public final class AdminService extends AdminGrpc.AdminImplBase {
    private static final Logger log = LoggerFactory.getLogger(AdminService.class);
    private static final long PROGRESS_EVERY_NANOS = 100_000_000L;

    private final Catalog catalog;
    private final BufferAllocator allocator;
    private final ExecutorService loaders;

    /** @param allocator scratch memory of loads; shares its root with the catalog's memory */
    public AdminService(Catalog catalog, BufferAllocator allocator, ExecutorService loaders) {
        this.catalog = requireNonNull(catalog, "catalog is null");
        this.allocator = requireNonNull(allocator, "allocator is null");
        this.loaders = requireNonNull(loaders, "loaders is null");
    }

    @Override
    public void listTables(ListTablesRequest request, StreamObserver<ListTablesResponse> response) {
        response.onNext(describe(catalog));
        response.onCompleted();
    }

    /** What the catalog holds, as ListTables answers it. */
    public static ListTablesResponse describe(Catalog catalog) {
        ListTablesResponse.Builder answer = ListTablesResponse.newBuilder();
        for (Table table : catalog.tables()) {
            TableDescription.Builder description = TableDescription.newBuilder().setId(table.id()).setName(table.name());
            for (ColumnSchema column : table.columns()) {
                description.addColumns(Field.newBuilder().setName(column.name()).setType(column.type()));
            }
            for (Region region : table.regions()) {
                description.addRegions(RegionDescription.newBuilder()
                        .setRegion(metaOf(region))
                        .setRows(region.storedRows())
                        .setBytes(region.bytes()));
            }
            answer.addTables(description);
        }
        return answer.build();
    }

    /** A region as metapb describes it: id, record keys, epoch. */
    public static Metapb.Region metaOf(Region region) {
        return Metapb.Region.newBuilder()
                .setId(region.id())
                .setStartKey(ByteString.copyFrom(region.startKey()))
                .setEndKey(ByteString.copyFrom(region.endKey()))
                .setRegionEpoch(Metapb.RegionEpoch.newBuilder().setConfVer(region.epoch().confVer()).setVersion(region.epoch().version()))
                .build();
    }

    @Override
    public void loadTpch(LoadTpchRequest request, StreamObserver<LoadProgress> response) {
        ServerCallStreamObserver<LoadProgress> call = (ServerCallStreamObserver<LoadProgress>) response;
        List<TpchTable> tables = new ArrayList<>();
        long total = 0;
        try {
            if (!(request.getScaleFactor() > 0) || request.getScaleFactor() > 1000) {
                throw new IllegalArgumentException("scale factor must be in (0, 1000], got " + request.getScaleFactor());
            }
            if (request.getPartsCount() == 0) {
                throw new IllegalArgumentException("LoadTpchRequest names no parts");
            }
            for (TpchPart part : request.getPartsList()) {
                TpchTable table = TpchTable.byName(part.getTable()).orElseThrow(() -> new IllegalArgumentException(
                        "'" + part.getTable() + "' is not a TPC-H table; the tables are " + List.of(TpchTable.values()).stream().map(TpchTable::tableName).toList()));
                long[] handles = table.handleRange(request.getScaleFactor(), part.getPart(), part.getParts());
                long regionId = TpchLoader.regionId(table, part.getPart());
                if (catalog.region(regionId).isPresent()) {
                    response.onError(Status.ALREADY_EXISTS.withDescription("region " + regionId + " (" + table.tableName() + " part "
                            + part.getPart() + ") is already loaded on this node").asRuntimeException());
                    return;
                }
                tables.add(table);
                total += estimatedRows(table, handles);
            }
        } catch (IllegalArgumentException e) {
            response.onError(Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
            return;
        }
        long totalRows = total;
        loaders.execute(() -> {
            AtomicLong loaded = new AtomicLong();
            long[] lastSent = {System.nanoTime()};
            try {
                for (int i = 0; i < tables.size(); i++) {
                    if (call.isCancelled()) {
                        log.info("TPC-H load cancelled by the client after {} rows", loaded.get());
                        return;
                    }
                    TpchPart part = request.getParts(i);
                    long before = loaded.get();
                    TpchLoader.loadPart(catalog, tables.get(i), request.getScaleFactor(), part.getPart(), part.getParts(), allocator, rows -> {
                        loaded.set(before + rows);
                        long now = System.nanoTime();
                        if (now - lastSent[0] >= PROGRESS_EVERY_NANOS) {
                            lastSent[0] = now;
                            synchronized (call) {
                                call.onNext(LoadProgress.newBuilder().setRows(loaded.get()).setTotalRows(Math.max(totalRows, loaded.get())).build());
                            }
                        }
                    });
                }
                synchronized (call) {
                    call.onNext(LoadProgress.newBuilder().setRows(loaded.get()).setTotalRows(loaded.get()).build());
                    call.onCompleted();
                }
            } catch (IllegalArgumentException e) {
                call.onError(Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
            } catch (Throwable e) {
                log.warn("TPC-H load failed", e);
                call.onError(Status.INTERNAL.withDescription("the load failed: " + e).asRuntimeException());
            }
        });
    }

    private static long estimatedRows(TpchTable table, long[] handles) {
        long baseRows = (handles[1] - handles[0]) / table.fanOut();
        // An order has 1 to 7 lines, 4 on average.
        return table == TpchTable.LINEITEM ? baseRows * 4 : baseRows * table.fanOut();
    }

    @Override
    public StreamObserver<ImportRequest> importRegion(StreamObserver<ImportResponse> response) {
        return new RegionImport(catalog, allocator, response);
    }
}
