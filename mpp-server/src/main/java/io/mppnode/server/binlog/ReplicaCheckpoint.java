package io.mppnode.server.binlog;

import io.mppnode.exec.storage.Catalog;
import io.mppnode.exec.storage.ColumnSchema;
import io.mppnode.exec.storage.Region;
import io.mppnode.exec.storage.RegionEpoch;
import io.mppnode.exec.storage.ScanPiece;
import io.mppnode.exec.storage.Snapshot;
import io.mppnode.exec.storage.Table;
import io.mppnode.exec.storage.TableInfo;
import io.mppnode.exec.storage.Tables;
import io.mppnode.proto.binlog.CreateTable;
import io.mppnode.proto.binlog.RegionSpec;
import io.mppnode.proto.binlog.ReplicaCheckpoint.Builder;
import io.mppnode.proto.plan.Field;
import io.mppnode.server.binlog.log.LogPosition;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BigIntVector;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowFileReader;
import org.apache.arrow.vector.ipc.ArrowFileWriter;
import org.apache.arrow.vector.types.pojo.Schema;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The replica's checkpoint on disk (checkpoint.proto): the binlog-fed tables as the snapshot at
 * the resolved ts, one Arrow IPC file per region, and where the log's replay starts. A restart
 * loads the newest complete checkpoint and replays the log from there, so the binlog segments
 * before that position may be freed by retention.
 *
 * <p>A checkpoint is written to a directory of its own, fsynced, and then named in
 * {@code CURRENT} (written to a temporary file and renamed), so a crash mid-write leaves the
 * previous one in force. After a restart, history below the checkpoint's resolved ts is gone:
 * reads there are refused as compacted away.
 */
public final class ReplicaCheckpoint {
    private static final Logger log = LoggerFactory.getLogger(ReplicaCheckpoint.class);
    private static final String CURRENT = "CURRENT";
    private static final String MANIFEST = "manifest.pb";
    private static final int BATCH_ROWS = Region.MAX_CHUNK_ROWS;

    private ReplicaCheckpoint() {}

    /**
     * Writes a checkpoint of the replica into {@code directory}; returns the position a replay
     * starts from (empty when nothing was ever applied: no checkpoint is needed).
     */
    public static Optional<LogPosition> write(Path directory, BinlogReplica replica, BufferAllocator allocator) throws IOException {
        Optional<BinlogReplica.Capture> maybe = replica.capture();
        if (maybe.isEmpty()) {
            return Optional.empty();
        }
        try (BinlogReplica.Capture capture = maybe.get()) {
            Files.createDirectories(directory);
            String name = "checkpoint-" + capture.replayFrom().suffix() + "-" + capture.replayFrom().offset() + "-" + System.nanoTime();
            Path target = directory.resolve(name);
            Files.createDirectories(target);
            Builder manifest = io.mppnode.proto.binlog.ReplicaCheckpoint.newBuilder()
                    .setResolvedTs(capture.resolvedTs())
                    .setNewestCommitTs(capture.newestCommitTs())
                    .setReplaySuffix(capture.replayFrom().suffix())
                    .setReplayOffset(capture.replayFrom().offset());
            capture.source().ifPresent(manifest::setSource);
            for (Table table : capture.tables()) {
                TableInfo info = table.info();
                List<RegionSpec> regions = new ArrayList<>();
                for (Region region : table.regions()) {
                    Snapshot snapshot = capture.regionSnapshots().get(region.id());
                    if (snapshot == null) {
                        continue; // added after the capture
                    }
                    regions.add(BinlogEvents.region(region.id(), region.range()));
                    writeRegion(target.resolve("region-" + region.id() + ".arrow"), info, snapshot, allocator);
                }
                manifest.addTables(BinlogEvents.tableSpec(info, regions));
            }
            Path manifestFile = target.resolve(MANIFEST);
            Files.write(manifestFile, manifest.build().toByteArray());
            force(manifestFile);
            force(target);
            Path temporary = directory.resolve(CURRENT + ".tmp");
            Files.writeString(temporary, name + "\n", StandardCharsets.UTF_8);
            force(temporary);
            Files.move(temporary, directory.resolve(CURRENT), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            force(directory);
            deleteOthers(directory, name);
            return Optional.of(capture.replayFrom());
        }
    }

    private static void writeRegion(Path file, TableInfo info, Snapshot snapshot, BufferAllocator allocator) throws IOException {
        List<ColumnSchema> columns = new ArrayList<>(info.columns());
        Schema tableSchema = Tables.arrowSchema(columns);
        List<org.apache.arrow.vector.types.pojo.Field> fields = new ArrayList<>(tableSchema.getFields());
        fields.add(new BigIntVector("_handle", allocator).getField());
        try (VectorSchemaRoot batch = VectorSchemaRoot.create(new Schema(fields), allocator);
                FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                ArrowFileWriter writer = new ArrowFileWriter(batch, null, channel)) {
            writer.start();
            int rows = 0;
            for (ScanPiece piece : snapshot.pieces()) {
                for (int i = 0; i < piece.rowCount(); i++) {
                    if (rows == 0) {
                        batch.getFieldVectors().forEach(vector -> {
                            vector.setInitialCapacity(BATCH_ROWS);
                            vector.allocateNew();
                        });
                    }
                    int row = piece.row(i);
                    for (int column = 0; column < columns.size(); column++) {
                        FieldVector target = batch.getVector(column);
                        if (piece.holdsColumn(column)) {
                            target.copyFromSafe(row, rows, piece.data().getVector(column));
                        } else {
                            target.setNull(rows);
                        }
                    }
                    ((BigIntVector) batch.getVector(columns.size())).setSafe(rows, piece.handle(i));
                    rows++;
                    if (rows == BATCH_ROWS) {
                        batch.setRowCount(rows);
                        writer.writeBatch();
                        rows = 0;
                    }
                }
            }
            if (rows > 0) {
                batch.setRowCount(rows);
                writer.writeBatch();
            }
            writer.end();
            channel.force(true);
        }
    }

    /**
     * Loads the current checkpoint into the catalog and the replica; returns the position the
     * log's replay starts from, or empty when there is no checkpoint.
     */
    public static Optional<LogPosition> restore(Path directory, Catalog catalog, BinlogReplica replica, BufferAllocator allocator)
            throws IOException {
        Path current = directory.resolve(CURRENT);
        if (!Files.exists(current)) {
            return Optional.empty();
        }
        Path source = directory.resolve(Files.readString(current, StandardCharsets.UTF_8).trim());
        io.mppnode.proto.binlog.ReplicaCheckpoint manifest = io.mppnode.proto.binlog.ReplicaCheckpoint.parseFrom(
                Files.readAllBytes(source.resolve(MANIFEST)));
        Set<Long> tableIds = new HashSet<>();
        for (CreateTable create : manifest.getTablesList()) {
            String where = "checkpoint " + source.getFileName();
            TableInfo info = BinlogReplica.tableInfo(create, where);
            catalog.createTable(info);
            tableIds.add(info.id());
            for (RegionSpec spec : create.getRegionsList()) {
                Region region = catalog.addRegion(info.id(), spec.getRegionId(), RegionEpoch.INITIAL, BinlogReplica.range(spec, where));
                loadRegion(source.resolve("region-" + spec.getRegionId() + ".arrow"), region, info.columns().size(), manifest.getResolvedTs(),
                        allocator);
                region.compact(manifest.getResolvedTs());
            }
        }
        replica.restored(tableIds, manifest.getResolvedTs(), manifest.getNewestCommitTs(),
                manifest.hasSource() ? Optional.of(manifest.getSource()) : Optional.empty());
        log.info("replica checkpoint {} loaded: {} tables at resolved ts {}", source.getFileName(), tableIds.size(), manifest.getResolvedTs());
        return Optional.of(new LogPosition(manifest.getReplaySuffix(), manifest.getReplayOffset()));
    }

    private static void loadRegion(Path file, Region region, int columnCount, long ts, BufferAllocator allocator) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
                ArrowFileReader reader = new ArrowFileReader(channel, allocator)) {
            VectorSchemaRoot root = reader.getVectorSchemaRoot();
            while (reader.loadNextBatch()) {
                List<FieldVector> columns = new ArrayList<>();
                for (int column = 0; column < columnCount; column++) {
                    var pair = root.getVector(column).getTransferPair(allocator);
                    pair.transfer();
                    columns.add((FieldVector) pair.getTo());
                }
                var handlePair = root.getVector(columnCount).getTransferPair(allocator);
                handlePair.transfer();
                VectorSchemaRoot rows = new VectorSchemaRoot(root.getSchema().getFields().subList(0, columnCount), columns, root.getRowCount());
                region.append(rows, (BigIntVector) handlePair.getTo(), ts);
            }
        }
    }

    private static void force(Path path) throws IOException {
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }

    private static void deleteOthers(Path directory, String keep) {
        try (var entries = Files.list(directory)) {
            for (Path entry : entries.filter(path -> path.getFileName().toString().startsWith("checkpoint-")
                    && !path.getFileName().toString().equals(keep)).toList()) {
                try (var files = Files.walk(entry)) {
                    files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
                }
            }
        } catch (IOException e) {
            log.warn("old replica checkpoints not deleted: {}", e.getMessage());
        }
    }
}
