package io.mppnode.server.admin;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.mppnode.error.MppException;
import io.mppnode.exchange.codec.ChunkDecoder;
import io.mppnode.exec.storage.Catalog;
import io.mppnode.exec.storage.ColumnSchema;
import io.mppnode.exec.storage.HandleRange;
import io.mppnode.exec.storage.Region;
import io.mppnode.exec.storage.RegionEpoch;
import io.mppnode.exec.storage.Table;
import io.mppnode.exec.storage.TableInfo;
import io.mppnode.exec.storage.Tables;
import io.mppnode.exec.type.ColumnTypes;
import io.mppnode.proto.admin.ImportHeader;
import io.mppnode.proto.admin.ImportRequest;
import io.mppnode.proto.admin.ImportResponse;
import io.mppnode.proto.plan.Field;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.OutOfMemoryException;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.arrow.vector.util.ValueVectorUtility;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One ImportRegion call: a header, then Arrow IPC streams of rows, loaded into a new region.
 *
 * <p>The header is checked on arrival (the columns, the handle range, and that neither the
 * table's id and name nor the region id and range clash with what the node holds). Each
 * {@code arrow_ipc} message is then cut into its IPC messages, every length checked before
 * anything is allocated, decoded (one copy, from the gRPC message into Arrow memory of the
 * batch's own), checked against the table's columns, moved into vectors of the table's exact
 * fields by transfer pairs (no per-value copy; a non-nullable field of the file becomes the
 * table's nullable one) and validated (offsets, buffer sizes). The batches wait in the
 * import's own allocator; only when the client completes the call are the table and the region
 * created and the batches appended, with consecutive handles from {@code first_handle} at
 * commit ts 0 (visible at every timestamp). So a failed or cancelled import leaves nothing
 * behind and can be retried with the same region id.
 *
 * <p>Bad input fails the call with INVALID_ARGUMENT, a clash with ALREADY_EXISTS, the node's
 * memory limit with RESOURCE_EXHAUSTED; each description names the problem. Every path
 * releases the import's memory. gRPC delivers a call's messages one at a time, and asks for
 * the next only once {@link #onNext} returned: a client cannot run ahead of the decoding.
 */
final class RegionImport implements StreamObserver<ImportRequest> {
    private static final Logger log = LoggerFactory.getLogger(RegionImport.class);
    private static final int CONTINUATION_TOKEN = 0xFFFFFFFF;

    private final Catalog catalog;
    private final BufferAllocator parent;
    private final StreamObserver<ImportResponse> response;

    private BufferAllocator allocator;
    private ImportHeader header;
    /** The region id of the (first) header, for the log; "?" before it. */
    private String regionLabel = "?";
    private TableInfo info;
    private HandleRange range;
    private Schema schema;
    private final List<Batch> batches = new ArrayList<>();
    private long rows;
    private int messages;
    private boolean ended;

    /** Rows decoded, with their handles, in the import's allocator. */
    private record Batch(VectorSchemaRoot rows, BigIntVector handles) {
        void close() {
            rows.close();
            handles.close();
        }
    }

    /** A refusal: the status to answer with. */
    private static final class Refusal extends RuntimeException {
        private final Status status;

        Refusal(Status status, String message) {
            super(message, null, false, false);
            this.status = status;
        }

        static Refusal invalid(String message) {
            return new Refusal(Status.INVALID_ARGUMENT, message);
        }

        static Refusal exists(String message) {
            return new Refusal(Status.ALREADY_EXISTS, message);
        }

        StatusRuntimeException toStatus() {
            return status.withDescription(getMessage()).asRuntimeException();
        }
    }

    RegionImport(Catalog catalog, BufferAllocator allocator, StreamObserver<ImportResponse> response) {
        this.catalog = requireNonNull(catalog, "catalog is null");
        this.parent = requireNonNull(allocator, "allocator is null");
        this.response = requireNonNull(response, "response is null");
    }

    @Override
    public synchronized void onNext(ImportRequest request) {
        if (ended) {
            return;
        }
        try {
            switch (request.getKindCase()) {
                case HEADER -> onHeader(request.getHeader());
                case ARROW_IPC -> onArrow(request.getArrowIpc());
                default -> throw Refusal.invalid("ImportRequest " + (messages + 1) + " sets neither header nor arrow_ipc");
            }
            messages++;
        } catch (RuntimeException e) {
            fail(e);
        }
    }

    @Override
    public synchronized void onError(Throwable error) {
        if (ended) {
            return;
        }
        ended = true;
        log.info("import of region {} abandoned by the client after {} rows: {}", regionLabel, rows, error.toString());
        release();
    }

    @Override
    public synchronized void onCompleted() {
        if (ended) {
            return;
        }
        try {
            if (header == null) {
                throw Refusal.invalid("the import ended before its header");
            }
            commit();
            ended = true;
            release();
            response.onNext(ImportResponse.newBuilder().setRows(rows).build());
            response.onCompleted();
        } catch (RuntimeException e) {
            fail(e);
        }
    }

    private void onHeader(ImportHeader received) {
        if (header != null) {
            throw Refusal.invalid("a second header (region " + Long.toUnsignedString(received.getRegionId())
                    + ") arrived after the header of region " + Long.toUnsignedString(header.getRegionId()));
        }
        regionLabel = Long.toUnsignedString(received.getRegionId());
        if (received.getTableId() <= 0) {
            throw Refusal.invalid("table id must be positive, got " + received.getTableId());
        }
        if (received.getTableName().isEmpty()) {
            throw Refusal.invalid("table " + received.getTableId() + " has no name");
        }
        if (received.getColumnsCount() == 0) {
            throw Refusal.invalid("table '" + received.getTableName() + "' has no columns");
        }
        List<ColumnSchema> columns = new ArrayList<>();
        for (Field field : received.getColumnsList()) {
            if (field.getName().isEmpty()) {
                throw Refusal.invalid("column " + (columns.size() + 1) + " of table '" + received.getTableName() + "' has no name");
            }
            columns.add(new ColumnSchema(field.getName(), field.getType()));
        }
        TableInfo definition;
        try {
            definition = new TableInfo(received.getTableId(), received.getTableName(), columns);
        } catch (IllegalArgumentException | MppException e) {
            throw Refusal.invalid(e.getMessage());
        }
        long regionId = received.getRegionId();
        if (regionId <= 0) {
            throw Refusal.invalid("region id must be in 1.." + Long.MAX_VALUE + ", got " + Long.toUnsignedString(regionId));
        }
        if (received.getStartHandle() >= received.getEndHandle()) {
            throw Refusal.invalid("region " + regionId + ": handle range [" + received.getStartHandle() + ", "
                    + received.getEndHandle() + ") is empty or ends before it starts");
        }
        HandleRange handles = new HandleRange(received.getStartHandle(), received.getEndHandle());
        if (!handles.contains(received.getFirstHandle())) {
            throw Refusal.invalid("region " + regionId + ": first handle " + received.getFirstHandle()
                    + " is outside its handle range " + handles);
        }
        // Clashes are checked now, so that a bad import fails before its data is sent, and
        // again when the region is created.
        checkClashes(definition, regionId, handles);
        this.allocator = parent.newChildAllocator("import-region-" + regionId, 0, Long.MAX_VALUE);
        this.header = received;
        this.info = definition;
        this.range = handles;
        this.schema = Tables.arrowSchema(definition.columns());
    }

    private void checkClashes(TableInfo definition, long regionId, HandleRange handles) {
        Optional<Region> taken = catalog.region(regionId);
        if (taken.isPresent()) {
            throw Refusal.exists("region id " + regionId + " is taken by " + taken.get());
        }
        Table existing;
        try {
            existing = catalog.table(definition.id());
        } catch (MppException unknown) {
            existing = null;
        }
        if (existing != null) {
            if (!existing.info().equals(definition)) {
                throw Refusal.exists("table id " + definition.id() + " is taken by '" + existing.name() + "' "
                        + describe(existing.columns()) + ", not '" + definition.name() + "' " + describe(definition.columns()));
            }
            for (Region region : existing.regions()) {
                if (region.range().overlaps(handles)) {
                    throw Refusal.exists("region " + regionId + " " + handles + " of table '" + definition.name()
                            + "' overlaps region " + region.id() + " " + region.range() + " that this node holds");
                }
            }
        } else {
            Optional<Table> sameName = catalog.table(definition.name());
            if (sameName.isPresent()) {
                throw Refusal.exists("table name '" + definition.name() + "' is taken by table id " + sameName.get().id());
            }
        }
    }

    private void onArrow(ByteString bytes) {
        if (header == null) {
            throw Refusal.invalid("arrow_ipc arrived before the header: the first ImportRequest must be the header");
        }
        int message = messages + 1;
        String where = "ImportRequest " + message + " (arrow_ipc of " + bytes.size() + " bytes)";
        ChunkDecoder decoder = new ChunkDecoder(allocator, where);
        int position = 0;
        int ipcMessage = 0;
        boolean endOfStream = false;
        while (position < bytes.size()) {
            ipcMessage++;
            int start = position;
            if (bytes.size() - position < 4) {
                throw Refusal.invalid(where + " is not an Arrow IPC stream: " + (bytes.size() - position)
                        + " stray bytes at offset " + position);
            }
            int metadataLength = intAt(bytes, position);
            position += 4;
            if (metadataLength == CONTINUATION_TOKEN) {
                if (bytes.size() - position < 4) {
                    throw Refusal.invalid(where + " is not an Arrow IPC stream: it ends inside the length of IPC message " + ipcMessage);
                }
                metadataLength = intAt(bytes, position);
                position += 4;
            }
            if (metadataLength == 0) {
                endOfStream = true;
                break;
            }
            if (metadataLength < 0 || metadataLength > bytes.size() - position) {
                throw Refusal.invalid(where + " is not an Arrow IPC stream: IPC message " + ipcMessage + " at offset " + start
                        + " claims " + Integer.toUnsignedString(metadataLength) + " bytes of metadata, "
                        + (bytes.size() - position) + " are left");
            }
            long bodyLength;
            try {
                ByteBuffer metadata = bytes.substring(position, position + metadataLength).asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
                bodyLength = org.apache.arrow.flatbuf.Message.getRootAsMessage(metadata).bodyLength();
            } catch (RuntimeException e) {
                throw Refusal.invalid(where + " is not an Arrow IPC stream: IPC message " + ipcMessage + " has bad metadata (" + e + ")");
            }
            position += metadataLength;
            if (bodyLength < 0 || bodyLength > bytes.size() - position) {
                throw Refusal.invalid(where + " is not an Arrow IPC stream: IPC message " + ipcMessage + " claims a body of "
                        + bodyLength + " bytes, " + (bytes.size() - position) + " are left");
            }
            position += (int) bodyLength;
            decodeMessage(decoder, bytes.substring(start, position), where, ipcMessage);
        }
        if (endOfStream && position < bytes.size()) {
            throw Refusal.invalid(where + ": " + (bytes.size() - position) + " bytes follow the end-of-stream marker");
        }
        if (decoder.schema() == null) {
            throw Refusal.invalid(where + " is not an Arrow IPC stream: it has no schema message");
        }
    }

    private void decodeMessage(ChunkDecoder decoder, ByteString message, String where, int ipcMessage) {
        boolean hadSchema = decoder.schema() != null;
        VectorSchemaRoot decoded;
        try (ArrowBuf chunk = allocator.buffer(message.size())) {
            message.copyTo(chunk.nioBuffer(0, message.size()));
            decoded = decoder.decode(chunk.slice(0, message.size()));
        } catch (MppException e) {
            throw Refusal.invalid(where + " is not a valid Arrow IPC stream at IPC message " + ipcMessage + ": " + e.getMessage());
        }
        if (decoded == null) {
            if (!hadSchema) {
                checkSchema(decoder.schema(), where);
            }
            return;
        }
        try {
            add(decoded, where);
        } finally {
            decoded.close();
        }
    }

    private void checkSchema(Schema received, String where) {
        List<org.apache.arrow.vector.types.pojo.Field> got = received.getFields();
        List<org.apache.arrow.vector.types.pojo.Field> want = schema.getFields();
        if (got.size() != want.size()) {
            throw Refusal.invalid(where + " has " + got.size() + " columns " + describeArrow(got) + "; table '" + info.name()
                    + "' has " + want.size() + " " + describe(info.columns()));
        }
        for (int i = 0; i < got.size(); i++) {
            org.apache.arrow.vector.types.pojo.Field field = got.get(i);
            ColumnSchema column = info.columns().get(i);
            if (!field.getName().equals(column.name())) {
                throw Refusal.invalid(where + ": column " + (i + 1) + " is '" + field.getName() + "'; table '" + info.name()
                        + "' has '" + column.name() + "' there");
            }
            if (field.getDictionary() != null) {
                throw Refusal.invalid(where + ": column '" + field.getName() + "' is dictionary-encoded; send its values");
            }
            if (!field.getType().equals(want.get(i).getType()) || !field.getChildren().isEmpty()) {
                throw Refusal.invalid(where + ": column '" + field.getName() + "' is Arrow " + field.getType() + "; table '"
                        + info.name() + "' has it as " + ColumnTypes.describe(column.type()) + ", which is Arrow " + want.get(i).getType());
            }
        }
    }

    /** Moves a decoded batch into vectors of the table's fields and keeps it, with its handles. */
    private void add(VectorSchemaRoot decoded, String where) {
        int count = decoded.getRowCount();
        long first = header.getFirstHandle() + rows;
        if (count > 0) {
            // Handles first .. first + count - 1, all in the region's range (no overflow: the
            // range's end bounds them, and an unbounded range ends at Long.MAX_VALUE).
            boolean fits = first >= header.getFirstHandle() && count - 1 <= Long.MAX_VALUE - first && range.contains(first + count - 1);
            if (!fits) {
                throw Refusal.invalid(where + ": rows " + rows + ".." + (rows + count - 1) + " of the import would get handles from "
                        + first + " on, beyond region " + header.getRegionId() + " " + range + " (first handle "
                        + header.getFirstHandle() + ")");
            }
        }
        List<FieldVector> vectors = new ArrayList<>(schema.getFields().size());
        BigIntVector handles = null;
        try {
            for (int i = 0; i < schema.getFields().size(); i++) {
                FieldVector source = decoded.getVector(i);
                FieldVector target = schema.getFields().get(i).createVector(allocator);
                vectors.add(target);
                source.makeTransferPair(target).transfer();
                try {
                    ValueVectorUtility.validateFull(target);
                } catch (RuntimeException e) {
                    throw Refusal.invalid(where + ": column '" + target.getName() + "' is malformed: " + e.getMessage());
                }
                if (target.getValueCount() != count) {
                    throw Refusal.invalid(where + ": column '" + target.getName() + "' has " + target.getValueCount()
                            + " values in a batch of " + count + " rows");
                }
            }
            handles = new BigIntVector("_handle", allocator);
            handles.allocateNew(Math.max(1, count));
            for (int row = 0; row < count; row++) {
                handles.set(row, first + row);
            }
            handles.setValueCount(count);
        } catch (RuntimeException e) {
            vectors.forEach(FieldVector::close);
            if (handles != null) {
                handles.close();
            }
            throw e;
        }
        batches.add(new Batch(new VectorSchemaRoot(schema.getFields(), vectors, count), handles));
        rows += count;
    }

    /** Creates the table and the region and appends the batches. */
    private void commit() {
        checkClashes(info, header.getRegionId(), range);
        Table table;
        Region region;
        try {
            table = catalog.createTable(info);
            region = catalog.addRegion(table.id(), header.getRegionId(), RegionEpoch.INITIAL, range);
        } catch (IllegalArgumentException e) {
            throw Refusal.exists(e.getMessage());
        }
        while (!batches.isEmpty()) {
            Batch batch = batches.removeFirst();
            region.append(batch.rows(), batch.handles(), 0);
        }
        log.info("imported {} rows into {}", rows, region);
    }

    private void fail(RuntimeException e) {
        ended = true;
        release();
        StatusRuntimeException status;
        if (e instanceof Refusal refusal) {
            status = refusal.toStatus();
            log.info("import of region {} refused: {}", regionLabel, e.getMessage());
        } else if (e instanceof OutOfMemoryException) {
            status = Status.RESOURCE_EXHAUSTED.withDescription("the import of region " + regionLabel
                    + " does not fit in the node's memory: " + e.getMessage()).asRuntimeException();
            log.warn("import out of memory", e);
        } else {
            status = Status.INTERNAL.withDescription("the import failed: " + e).asRuntimeException();
            log.warn("import failed", e);
        }
        try {
            response.onError(status);
        } catch (RuntimeException ignored) {
            // the call is already closed
        }
    }

    /** Frees what the import holds: its pending batches and its allocator. */
    private void release() {
        batches.forEach(Batch::close);
        batches.clear();
        if (allocator != null) {
            try {
                allocator.close();
            } catch (RuntimeException e) {
                log.error("the import of region {} leaked Arrow memory: {}", regionLabel, e.getMessage());
            }
            allocator = null;
        }
    }

    private static int intAt(ByteString bytes, int position) {
        return (bytes.byteAt(position) & 0xFF) | (bytes.byteAt(position + 1) & 0xFF) << 8
                | (bytes.byteAt(position + 2) & 0xFF) << 16 | (bytes.byteAt(position + 3) & 0xFF) << 24;
    }

    private static String describe(List<ColumnSchema> columns) {
        return columns.stream().map(column -> column.name() + " " + ColumnTypes.describe(column.type())).toList().toString();
    }

    private static String describeArrow(List<org.apache.arrow.vector.types.pojo.Field> fields) {
        return fields.stream().map(field -> field.getName() + " " + field.getType()).toList().toString();
    }
}
