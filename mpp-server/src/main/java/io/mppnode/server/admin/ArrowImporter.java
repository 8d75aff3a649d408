package io.mppnode.server.admin;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.mppnode.exchange.codec.ExchangeCodecs;
import io.mppnode.exec.storage.HandleRange;
import io.mppnode.exec.storage.Region;
import io.mppnode.exec.type.ColumnTypes;
import io.mppnode.proto.admin.AdminGrpc;
import io.mppnode.proto.admin.ImportHeader;
import io.mppnode.proto.admin.ImportRequest;
import io.mppnode.proto.admin.ImportResponse;
import io.mppnode.proto.admin.ListTablesRequest;
import io.mppnode.proto.admin.ListTablesResponse;
import io.mppnode.proto.admin.RegionDescription;
import io.mppnode.proto.admin.TableDescription;
import io.mppnode.proto.plan.DataType;
import io.mppnode.proto.plan.TypeKind;
import io.mppnode.server.rpc.ChannelPool;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.apache.arrow.flatbuf.Message;
import org.apache.arrow.flatbuf.MessageHeader;
import org.apache.arrow.flatbuf.RecordBatch;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.VectorUnloader;
import org.apache.arrow.vector.dictionary.Dictionary;
import org.apache.arrow.vector.dictionary.DictionaryEncoder;
import org.apache.arrow.vector.ipc.ArrowFileReader;
import org.apache.arrow.vector.ipc.ArrowReader;
import org.apache.arrow.vector.ipc.ArrowStreamReader;
import org.apache.arrow.vector.ipc.ArrowStreamWriter;
import org.apache.arrow.vector.ipc.WriteChannel;
import org.apache.arrow.vector.ipc.message.ArrowBlock;
import org.apache.arrow.vector.ipc.message.ArrowRecordBatch;
import org.apache.arrow.vector.ipc.message.IpcOption;
import org.apache.arrow.vector.ipc.message.MessageSerializer;
import org.apache.arrow.vector.types.DateUnit;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.TimeUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Imports an Arrow IPC file (or stream) into a cluster of nodes as a table of regions, through
 * each node's {@code ImportRegion}.
 *
 * <p>The rows get handles 0, 1, 2, ... in file order and are cut into regions of
 * {@code regionRows} rows: region {@code k} holds rows {@code [k*R, (k+1)*R)} and owns the
 * handles {@code [k*R, (k+1)*R)}, except the last, which owns {@code [k*R, +inf)} (a file of no
 * rows makes one empty region {@code [0, +inf)}, so the table exists). Region {@code k} gets id
 * {@code firstRegionId + k}, by default {@code tableId * 100000 + 1 + k}: the TPC-H loader's
 * formula ({@code table id * 100000 + part}), which cannot collide with it as table ids differ;
 * more than 99999 regions would run into the next table id's, and are refused unless
 * {@code firstRegionId} is given. Regions go to the nodes round-robin (region k to node
 * {@code k mod nodes}).
 *
 * <p>Before sending anything every node is asked for its tables (an unreachable node fails the
 * import naming its address), and a clash with what a node holds (the table id or name taken by
 * another definition, a region id taken, overlapping handles) is refused. Then the file is read
 * once, in order: each region is streamed as Arrow IPC streams of at most about
 * {@code messageBytes} each, in record batches of at most {@link Region#MAX_CHUNK_ROWS} rows
 * (the store's chunk size, so the node stores them without copying). Each node has at most one
 * region in flight, so the nodes load in parallel while the file is read once. A node stores a
 * region only when its stream completed whole. When the import fails, the regions still being
 * sent are cancelled (the nodes drop them), those sent whole are waited for, and the error
 * lists the regions stored; they stay in place (a node's store is in memory: restarting the
 * nodes, or another table id, allows a new attempt).
 *
 * <p>Column types: bool, int32, int64, float64, decimal128 (precision up to 38, scale 0..
 * precision), utf8, date32 (days) and timestamp in microseconds without time zone map to the
 * store's types one to one; a dictionary-encoded column of one of them is decoded. Anything
 * else is refused naming the column. Not thread-safe: one import at a time.
 */
public final class ArrowImporter {
    /** The default rows per region. */
    public static final int DEFAULT_REGION_ROWS = 100_000;
    /** The default size of one ImportRegion message. */
    public static final int DEFAULT_MESSAGE_BYTES = 4 << 20;
    /** How far apart the default region ids of two table ids are: {@code table id * 100000 + k + 1}. */
    public static final long REGION_IDS_PER_TABLE = 100_000;
    public static final String SUPPORTED_TYPES = "bool, int32, int64, float64 (double), decimal128(precision <= 38, scale >= 0), "
            + "utf8 (string), date32 (date, days), timestamp[us] without time zone; or a dictionary of one of them";
    private static final byte[] FILE_MAGIC = "ARROW1".getBytes(StandardCharsets.US_ASCII);
    private static final Duration PREFLIGHT_DEADLINE = Duration.ofSeconds(10);
    /** How long a failed import waits for the regions it sent whole, to say which were stored. */
    private static final Duration ABORT_WAIT = Duration.ofSeconds(60);

    private final ChannelPool channels;
    private final BufferAllocator allocator;

    /** A problem the user can fix (a file, an option, a node's refusal); the message is one line. */
    public static final class ImportException extends RuntimeException {
        private final int exitCode;

        public ImportException(String message) {
            this(message, 2, null);
        }

        ImportException(String message, int exitCode, Throwable cause) {
            super(message, cause);
            this.exitCode = exitCode;
        }

        /** 2 for what the user can fix, 1 for a node's internal failure. */
        public int exitCode() {
            return exitCode;
        }
    }

    /** What to import where. {@code firstRegionId} 0 means the default ({@code tableId * 100000 + 1}). */
    public record Options(Path file, String table, long tableId, List<String> nodes, long regionRows, long firstRegionId, int messageBytes) {
        public Options {
            requireNonNull(file, "file is null");
            requireNonNull(table, "table is null");
            nodes = List.copyOf(nodes);
        }

        public static Options of(Path file, String table, long tableId, List<String> nodes) {
            return new Options(file, table, tableId, nodes, DEFAULT_REGION_ROWS, 0, DEFAULT_MESSAGE_BYTES);
        }

        public Options withRegionRows(long rows) {
            return new Options(file, table, tableId, nodes, rows, firstRegionId, messageBytes);
        }

        public Options withFirstRegionId(long id) {
            return new Options(file, table, tableId, nodes, regionRows, id, messageBytes);
        }

        public Options withMessageBytes(int bytes) {
            return new Options(file, table, tableId, nodes, regionRows, firstRegionId, bytes);
        }
    }

    /** One region of the import: its id, the node it goes to, its rows of the file and its handles. */
    public record RegionPlan(long regionId, String node, long firstRow, long rows, HandleRange handles) {}

    /** What was imported. */
    public record Result(long rows, List<io.mppnode.proto.plan.Field> columns, List<RegionPlan> regions, Duration elapsed) {}

    /** Hears how the import goes; called on the importing thread. */
    public interface Listener {
        /** The file is read and checked, every node answered; sending starts. */
        default void started(long totalRows, List<RegionPlan> regions) {}

        /** Rows handed to the nodes so far. */
        default void sent(long rows) {}
    }

    /** @param allocator the import's scratch memory (the file's batches); all freed when {@link #run} returns */
    public ArrowImporter(ChannelPool channels, BufferAllocator allocator) {
        this.channels = requireNonNull(channels, "channels is null");
        this.allocator = requireNonNull(allocator, "allocator is null");
    }

    /**
     * Imports the file.
     *
     * @throws ImportException naming the problem: a bad option, a missing or unreadable file, an
     *     unsupported column, an unreachable node, a node's refusal
     */
    public Result run(Options options, Listener listener) {
        long startNanos = System.nanoTime();
        check(options);
        try (BufferAllocator scratch = allocator.newChildAllocator("arrow import", 0, Long.MAX_VALUE);
                Source source = Source.open(options.file(), scratch)) {
            List<io.mppnode.proto.plan.Field> columns = columnsOf(source.schema(), source.reader());
            long totalRows = source.rows();
            List<RegionPlan> plans = plan(options, totalRows);
            preflight(options, columns, plans);
            listener.started(totalRows, plans);
            Uploads uploads = new Uploads(options, columns, listener);
            try {
                long sent = uploads.send(source, plans);
                if (sent != totalRows) {
                    throw new ImportException("the file " + options.file() + " holds " + sent + " rows, its metadata said " + totalRows);
                }
                uploads.awaitAll();
            } catch (RuntimeException e) {
                String stored = uploads.abort(e);
                if (e instanceof ImportException failure) {
                    throw new ImportException(failure.getMessage() + "; " + stored, failure.exitCode(), failure);
                }
                throw new ImportException("the import failed: " + e + "; " + stored, 1, e);
            }
            return new Result(totalRows, columns, plans, Duration.ofNanos(System.nanoTime() - startNanos));
        }
    }

    private static void check(Options options) {
        if (options.table().isEmpty()) {
            throw new ImportException("the table name is empty");
        }
        if (options.tableId() <= 0) {
            throw new ImportException("the table id must be positive, got " + options.tableId());
        }
        if (options.nodes().isEmpty()) {
            throw new ImportException("no nodes to import into: give --nodes HOST:PORT,...");
        }
        Set<String> seen = new HashSet<>();
        for (String node : options.nodes()) {
            checkAddress(node);
            if (!seen.add(node)) {
                throw new ImportException("node " + node + " is named twice");
            }
        }
        if (options.regionRows() < 1) {
            throw new ImportException("rows per region must be at least 1, got " + options.regionRows());
        }
        if (options.firstRegionId() < 0) {
            throw new ImportException("the first region id must be positive, got " + options.firstRegionId());
        }
        if (options.messageBytes() < 1) {
            throw new ImportException("the message size must be positive, got " + options.messageBytes());
        }
    }

    static void checkAddress(String node) {
        int colon = node.lastIndexOf(':');
        String host = colon < 0 ? "" : node.substring(0, colon);
        int port;
        try {
            port = colon < 0 ? -1 : Integer.parseInt(node.substring(colon + 1));
        } catch (NumberFormatException e) {
            port = -1;
        }
        if (host.isEmpty() || port < 1 || port > 65535) {
            throw new ImportException("node address '" + node + "' is not HOST:PORT");
        }
    }

    /** The regions: ids, nodes, rows and handle ranges (see the class comment). */
    static List<RegionPlan> plan(Options options, long totalRows) {
        long regionRows = options.regionRows();
        long count = Math.max(1, (totalRows + regionRows - 1) / regionRows);
        long first;
        if (options.firstRegionId() > 0) {
            first = options.firstRegionId();
        } else {
            if (count > REGION_IDS_PER_TABLE - 1) {
                throw new ImportException(totalRows + " rows make " + count + " regions of " + regionRows + " rows; default region ids (table id * "
                        + REGION_IDS_PER_TABLE + " + 1 ...) leave room for " + (REGION_IDS_PER_TABLE - 1)
                        + ": give more rows per region or a first region id");
            }
            try {
                first = Math.addExact(Math.multiplyExact(options.tableId(), REGION_IDS_PER_TABLE), 1);
            } catch (ArithmeticException e) {
                throw new ImportException("table id " + options.tableId() + " is too large for default region ids (table id * "
                        + REGION_IDS_PER_TABLE + " + 1): give a first region id");
            }
        }
        if (first > Long.MAX_VALUE - count) {
            throw new ImportException("region ids from " + first + " for " + count + " regions exceed " + Long.MAX_VALUE);
        }
        if (count > Integer.MAX_VALUE) {
            throw new ImportException(count + " regions are too many: give more rows per region");
        }
        List<RegionPlan> plans = new ArrayList<>((int) count);
        for (long k = 0; k < count; k++) {
            long firstRow = k * regionRows;
            long rows = Math.min(regionRows, totalRows - firstRow);
            long end = k == count - 1 ? Long.MAX_VALUE : firstRow + regionRows;
            plans.add(new RegionPlan(first + k, options.nodes().get((int) (k % options.nodes().size())), firstRow, Math.max(0, rows),
                    new HandleRange(firstRow, end)));
        }
        return plans;
    }

    /** The store's columns for the file's schema; refuses a column it cannot store. */
    static List<io.mppnode.proto.plan.Field> columnsOf(Schema schema, ArrowReader reader) {
        List<io.mppnode.proto.plan.Field> columns = new ArrayList<>();
        Set<String> names = new HashSet<>();
        if (schema.getFields().isEmpty()) {
            throw new ImportException("the file has no columns");
        }
        for (Field field : schema.getFields()) {
            if (field.getName() == null || field.getName().isEmpty()) {
                throw new ImportException("column " + (columns.size() + 1) + " of the file has no name");
            }
            if (!names.add(field.getName())) {
                throw new ImportException("the file has two columns named '" + field.getName() + "'");
            }
            ArrowType type = field.getType();
            String encoded = "";
            if (field.getDictionary() != null) {
                Dictionary dictionary = dictionary(reader, field);
                type = dictionary.getVector().getField().getType();
                encoded = " (dictionary-encoded)";
            }
            DataType ours = typeOf(type);
            if (ours == null || !field.getChildren().isEmpty() && field.getDictionary() == null) {
                throw new ImportException("column '" + field.getName() + "' has Arrow type " + type + encoded
                        + ", which the store cannot hold; supported: " + SUPPORTED_TYPES);
            }
            columns.add(io.mppnode.proto.plan.Field.newBuilder().setName(field.getName()).setType(ours).build());
        }
        return columns;
    }

    /** The store's type for an Arrow type, or null. */
    static DataType typeOf(ArrowType type) {
        return switch (type) {
            case ArrowType.Bool b -> ColumnTypes.of(TypeKind.BOOLEAN);
            case ArrowType.Int i when i.getIsSigned() && i.getBitWidth() == 32 -> ColumnTypes.of(TypeKind.INT32);
            case ArrowType.Int i when i.getIsSigned() && i.getBitWidth() == 64 -> ColumnTypes.of(TypeKind.INT64);
            case ArrowType.FloatingPoint f when f.getPrecision() == FloatingPointPrecision.DOUBLE -> ColumnTypes.of(TypeKind.FLOAT64);
            case ArrowType.Decimal d when d.getBitWidth() == 128 && d.getPrecision() >= 1
                    && d.getPrecision() <= ColumnTypes.MAX_DECIMAL_PRECISION && d.getScale() >= 0 && d.getScale() <= d.getPrecision() ->
                    ColumnTypes.decimal(d.getPrecision(), d.getScale());
            case ArrowType.Utf8 u -> ColumnTypes.of(TypeKind.STRING);
            case ArrowType.Date d when d.getUnit() == DateUnit.DAY -> ColumnTypes.of(TypeKind.DATE);
            case ArrowType.Timestamp t when t.getUnit() == TimeUnit.MICROSECOND && t.getTimezone() == null -> ColumnTypes.of(TypeKind.TIMESTAMP);
            default -> null;
        };
    }

    private static Dictionary dictionary(ArrowReader reader, Field field) {
        try {
            Dictionary dictionary = reader.getDictionaryVectors().get(field.getDictionary().getId());
            if (dictionary == null) {
                throw new ImportException("column '" + field.getName() + "' is dictionary-encoded but the file has no dictionary "
                        + field.getDictionary().getId());
            }
            return dictionary;
        } catch (IOException e) {
            throw new ImportException("cannot read the dictionaries of the file: " + e.getMessage());
        }
    }

    /** Asks every node for its tables; refuses unreachable nodes and clashes before anything is sent. */
    private void preflight(Options options, List<io.mppnode.proto.plan.Field> columns, List<RegionPlan> plans) {
        for (String node : options.nodes()) {
            ListTablesResponse tables;
            try {
                tables = AdminGrpc.newBlockingStub(channels.channel(node))
                        .withDeadlineAfter(PREFLIGHT_DEADLINE.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)
                        .listTables(ListTablesRequest.getDefaultInstance());
            } catch (StatusRuntimeException e) {
                throw new ImportException("cannot reach node " + node + ": " + describe(e.getStatus()));
            }
            Set<Long> regionIds = new HashSet<>();
            for (TableDescription table : tables.getTablesList()) {
                table.getRegionsList().forEach(region -> regionIds.add(region.getRegion().getId()));
                if (table.getId() == options.tableId()) {
                    if (!table.getName().equals(options.table()) || !table.getColumnsList().equals(columns)) {
                        throw new ImportException("node " + node + " holds table id " + table.getId() + " as '" + table.getName() + "' "
                                + describeColumns(table.getColumnsList()) + ", not '" + options.table() + "' " + describeColumns(columns));
                    }
                    for (RegionDescription region : table.getRegionsList()) {
                        HandleRange held = handlesOf(table.getId(), region);
                        for (RegionPlan plan : plans) {
                            if (plan.node().equals(node) && held != null && held.overlaps(plan.handles())) {
                                throw new ImportException("node " + node + " holds region " + region.getRegion().getId() + " " + held
                                        + " of table '" + table.getName() + "', which overlaps region " + plan.regionId() + " " + plan.handles()
                                        + " of the import (was the table imported before?)");
                            }
                        }
                    }
                } else if (table.getName().equals(options.table())) {
                    throw new ImportException("node " + node + " holds a table named '" + table.getName() + "' with id " + table.getId()
                            + ", not " + options.tableId());
                }
            }
            for (RegionPlan plan : plans) {
                if (plan.node().equals(node) && regionIds.contains(plan.regionId())) {
                    throw new ImportException("node " + node + " already holds a region with id " + plan.regionId()
                            + " (give another first region id)");
                }
            }
        }
    }

    /** The handles of a described region, or null when its keys are not record keys of the table. */
    private static HandleRange handlesOf(long tableId, RegionDescription region) {
        try {
            return io.mppnode.exec.storage.RecordKeys.handleRange(tableId,
                    region.getRegion().getStartKey().toByteArray(), region.getRegion().getEndKey().toByteArray());
        } catch (RuntimeException e) {
            return null;
        }
    }

    /** The uploads of one import: at most one region in flight per node. */
    private final class Uploads {
        private final Options options;
        private final List<io.mppnode.proto.plan.Field> columns;
        private final Listener listener;
        private final Map<String, Upload> inFlight = new LinkedHashMap<>();
        private final List<Upload> all = new ArrayList<>();
        private final Schema schema;
        private long sent;

        Uploads(Options options, List<io.mppnode.proto.plan.Field> columns, Listener listener) {
            this.options = options;
            this.columns = columns;
            this.listener = listener;
            this.schema = new Schema(columns.stream().map(column -> ColumnTypes.toArrowField(column.getName(), column.getType())).toList());
        }

        /** Reads the file once and streams its rows, region by region. @return the rows read */
        long send(Source source, List<RegionPlan> plans) {
            int regionIndex = 0;
            Upload upload = start(plans.getFirst());
            Message message = new Message(schema);
            long row = 0;
            while (source.next()) {
                VectorSchemaRoot batch = source.batch();
                int batchRows = batch.getRowCount();
                int offset = 0;
                while (offset < batchRows) {
                    RegionPlan plan = plans.get(regionIndex);
                    if (row >= plan.firstRow() + plan.rows() && regionIndex < plans.size() - 1) {
                        finish(upload, message);
                        regionIndex++;
                        upload = start(plans.get(regionIndex));
                        continue;
                    }
                    long regionLeft = regionIndex == plans.size() - 1 ? Long.MAX_VALUE : plan.firstRow() + plan.rows() - row;
                    int take = (int) Math.min(Math.min(batchRows - offset, regionLeft), rowsPerBatch(batch, message));
                    message.add(batch, offset, take);
                    offset += take;
                    row += take;
                    if (message.bytes() >= options.messageBytes()) {
                        flush(upload, message);
                    }
                }
            }
            finish(upload, message);
            // Regions past the file's end (only when the file held fewer rows than it said).
            while (++regionIndex < plans.size()) {
                finish(start(plans.get(regionIndex)), message);
            }
            return row;
        }

        /** Rows per record batch: at most the store's chunk, and about a message's worth of bytes. */
        private int rowsPerBatch(VectorSchemaRoot batch, Message message) {
            long bytes = 0;
            for (FieldVector vector : batch.getFieldVectors()) {
                bytes += vector.getBufferSize();
            }
            long perRow = Math.max(1, bytes / Math.max(1, batch.getRowCount()));
            return (int) Math.max(1, Math.min(Region.MAX_CHUNK_ROWS, options.messageBytes() / perRow));
        }

        private Upload start(RegionPlan plan) {
            Upload previous = inFlight.get(plan.node());
            if (previous != null) {
                previous.await();
            }
            checkFailures();
            Upload upload = new Upload(plan, channels, header(plan));
            inFlight.put(plan.node(), upload);
            all.add(upload);
            return upload;
        }

        private ImportHeader header(RegionPlan plan) {
            return ImportHeader.newBuilder()
                    .setTableId(options.tableId())
                    .setTableName(options.table())
                    .addAllColumns(columns)
                    .setRegionId(plan.regionId())
                    .setStartHandle(plan.handles().start())
                    .setEndHandle(plan.handles().end())
                    .setFirstHandle(plan.firstRow())
                    .build();
        }

        private void flush(Upload upload, Message message) {
            if (message.rows() == 0) {
                return;
            }
            long rows = message.rows();
            upload.send(message.take());
            sent += rows;
            listener.sent(sent);
            checkFailures();
        }

        private void finish(Upload upload, Message message) {
            flush(upload, message);
            upload.complete();
        }

        private void checkFailures() {
            for (Upload upload : all) {
                upload.throwIfFailed();
            }
        }

        void awaitAll() {
            for (Upload upload : all) {
                upload.await();
            }
        }

        /**
         * Cancels the regions still being sent, lets those sent whole finish, and says which
         * regions the nodes stored.
         */
        String abort(RuntimeException cause) {
            for (Upload upload : all) {
                if (!upload.halfClosed) {
                    upload.cancel(cause);
                }
            }
            List<String> stored = new ArrayList<>();
            for (Upload upload : all) {
                if (upload.halfClosed && upload.storedWithin(ABORT_WAIT)) {
                    stored.add(upload.plan.regionId() + " on " + upload.plan.node());
                }
            }
            return stored.isEmpty() ? "no region was stored" : "regions stored before the failure: " + String.join(", ", stored);
        }
    }

    /** The IPC stream being built for one ImportRegion message. */
    private static final class Message {
        private final Schema schema;
        private ByteString.Output out;
        private WriteChannel channel;
        private long rows;

        Message(Schema schema) {
            this.schema = schema;
        }

        void add(VectorSchemaRoot batch, int offset, int count) {
            try {
                if (channel == null) {
                    out = ByteString.newOutput();
                    channel = new WriteChannel(Channels.newChannel(out));
                    MessageSerializer.serialize(channel, schema);
                }
                try (VectorSchemaRoot slice = batch.slice(offset, count);
                        ArrowRecordBatch records = new VectorUnloader(slice).getRecordBatch()) {
                    MessageSerializer.serialize(channel, records);
                }
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            rows += count;
        }

        long rows() {
            return rows;
        }

        long bytes() {
            return channel == null ? 0 : channel.getCurrentPosition();
        }

        /** The stream so far, ended; starts a new one. */
        ByteString take() {
            try {
                ArrowStreamWriter.writeEndOfStream(channel, IpcOption.DEFAULT);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            ByteString bytes = out.toByteString();
            out = null;
            channel = null;
            rows = 0;
            return bytes;
        }
    }

    /** One ImportRegion call, sent with gRPC's flow control. */
    private static final class Upload implements ClientResponseObserver<ImportRequest, ImportResponse> {
        private final RegionPlan plan;
        private final CompletableFuture<Long> done = new CompletableFuture<>();
        private final Object ready = new Object();
        private ClientCallStreamObserver<ImportRequest> requests;
        /** Whether the whole region was sent (the node stores it unless it fails). */
        private boolean halfClosed;

        Upload(RegionPlan plan, ChannelPool channels, ImportHeader header) {
            this.plan = plan;
            AdminGrpc.newStub(channels.channel(plan.node())).importRegion(this);
            requests.onNext(ImportRequest.newBuilder().setHeader(header).build());
        }

        @Override
        public void beforeStart(ClientCallStreamObserver<ImportRequest> requestStream) {
            this.requests = requestStream;
            requestStream.setOnReadyHandler(() -> {
                synchronized (ready) {
                    ready.notifyAll();
                }
            });
        }

        void send(ByteString ipc) {
            synchronized (ready) {
                while (!requests.isReady() && !done.isDone()) {
                    try {
                        ready.wait(100);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new ImportException("interrupted while sending region " + plan.regionId() + " to " + plan.node(), 1, e);
                    }
                }
            }
            throwIfFailed();
            requests.onNext(ImportRequest.newBuilder().setArrowIpc(ipc).build());
        }

        void complete() {
            throwIfFailed();
            requests.onCompleted();
            halfClosed = true;
        }

        /** Whether the node answered that it stored the region, waiting at most {@code wait}. */
        boolean storedWithin(Duration wait) {
            try {
                done.get(wait.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
                return true;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
                return false;
            }
        }

        void await() {
            try {
                long stored = done.get();
                if (stored != plan.rows()) {
                    throw new ImportException("node " + plan.node() + " stored " + stored + " rows in region " + plan.regionId()
                            + ", " + plan.rows() + " were sent", 1, null);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ImportException("interrupted while waiting for " + plan.node(), 1, e);
            } catch (ExecutionException e) {
                throw failure(e.getCause());
            }
        }

        void throwIfFailed() {
            if (done.isCompletedExceptionally()) {
                await();
            }
        }

        void cancel(Throwable cause) {
            if (!done.isDone()) {
                requests.onError(Status.CANCELLED.withDescription("the import failed: " + cause.getMessage()).asRuntimeException());
            }
        }

        private ImportException failure(Throwable cause) {
            if (cause instanceof StatusRuntimeException e) {
                Status status = e.getStatus();
                int exitCode = switch (status.getCode()) {
                    case INTERNAL, UNKNOWN, DATA_LOSS -> 1;
                    default -> 2;
                };
                String what = status.getCode() == Status.Code.UNAVAILABLE || status.getCode() == Status.Code.DEADLINE_EXCEEDED
                        ? "lost node " + plan.node() + " while importing region " + plan.regionId()
                        : "node " + plan.node() + " refused region " + plan.regionId();
                return new ImportException(what + ": " + describe(status), exitCode, cause);
            }
            return new ImportException("region " + plan.regionId() + " on " + plan.node() + " failed: " + cause, 1, cause);
        }

        @Override
        public void onNext(ImportResponse response) {
            done.complete(response.getRows());
        }

        @Override
        public void onError(Throwable error) {
            done.completeExceptionally(error);
            synchronized (ready) {
                ready.notifyAll();
            }
        }

        @Override
        public void onCompleted() {
            if (!done.isDone()) {
                done.completeExceptionally(new IllegalStateException("the node answered without a row count"));
            }
        }
    }

    /**
     * The file's batches, as vectors of the store's types (dictionaries decoded), read once in
     * order; it knows the row count before reading (from the file's footer, or from a scan of
     * the stream's message headers).
     */
    static final class Source implements AutoCloseable {
        private final ArrowReader reader;
        private final long rows;
        private final BufferAllocator allocator;
        private VectorSchemaRoot decoded;
        private final List<FieldVector> owned = new ArrayList<>();

        private Source(ArrowReader reader, long rows, BufferAllocator allocator) {
            this.reader = reader;
            this.rows = rows;
            this.allocator = allocator;
        }

        static Source open(Path file, BufferAllocator allocator) {
            if (!Files.exists(file)) {
                throw new ImportException("file " + file + " does not exist");
            }
            if (!Files.isRegularFile(file)) {
                throw new ImportException(file + " is not a file");
            }
            FileChannel channel;
            try {
                channel = FileChannel.open(file, StandardOpenOption.READ);
            } catch (IOException e) {
                throw new ImportException("cannot read " + file + ": " + e);
            }
            ArrowReader reader = null;
            try {
                long size = channel.size();
                boolean fileFormat = size >= FILE_MAGIC.length && startsWithMagic(channel);
                long rows;
                if (fileFormat) {
                    ArrowFileReader fileReader = new ArrowFileReader(channel, allocator, ExchangeCodecs.INSTANCE);
                    reader = fileReader;
                    try {
                        // Reads the footer, the schema and the dictionaries (once: initialize() is not idempotent).
                        fileReader.getVectorSchemaRoot();
                        rows = 0;
                        for (ArrowBlock block : fileReader.getRecordBlocks()) {
                            rows += batchRows(channel, block.getOffset(), size);
                        }
                    } catch (IOException | RuntimeException e) {
                        if (e instanceof ImportException) {
                            throw e;
                        }
                        String problem = String.valueOf(e.getMessage()).startsWith("missing Magic number")
                                ? "it does not end with the ARROW1 magic (cut short?)"
                                : e.getMessage();
                        throw new ImportException(file + " starts like an Arrow IPC file but is not one: " + problem);
                    }
                } else {
                    rows = streamRows(channel, size, file);
                    channel.position(0);
                    InputStream in = Channels.newInputStream(channel);
                    ArrowStreamReader streamReader = new ArrowStreamReader(in, allocator, ExchangeCodecs.INSTANCE);
                    reader = streamReader;
                    try {
                        streamReader.getVectorSchemaRoot();
                    } catch (IOException | RuntimeException e) {
                        throw new ImportException(file + " is not an Arrow IPC stream: " + e.getMessage());
                    }
                }
                return new Source(reader, rows, allocator);
            } catch (IOException | RuntimeException e) {
                closeQuietly(reader);
                closeQuietly(channel);
                if (e instanceof ImportException importException) {
                    throw importException;
                }
                throw new ImportException("cannot read " + file + ": " + e);
            }
        }

        private static boolean startsWithMagic(FileChannel channel) throws IOException {
            ByteBuffer head = ByteBuffer.allocate(FILE_MAGIC.length);
            channel.read(head, 0);
            return java.util.Arrays.equals(head.array(), FILE_MAGIC);
        }

        /** The rows of the record batch whose message starts at {@code offset}, from its metadata alone. */
        private static long batchRows(FileChannel channel, long offset, long size) throws IOException {
            Message message = readMetadata(channel, offset, size);
            if (message == null || message.message.headerType() != MessageHeader.RecordBatch) {
                throw new ImportException("the footer of the file points at offset " + offset + ", which is not a record batch");
            }
            return ((RecordBatch) message.message.header(new RecordBatch())).length();
        }

        private record Message(org.apache.arrow.flatbuf.Message message, long end) {}

        /** The message at {@code offset}: its metadata and where its body ends; null at an end-of-stream marker or the end of the file. */
        private static Message readMetadata(FileChannel channel, long offset, long size) throws IOException {
            if (size - offset < 4) {
                return null;
            }
            ByteBuffer prefix = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            channel.read(prefix, offset);
            int length = prefix.getInt(0);
            long metadataStart = offset + 4;
            if (length == MessageSerializer.IPC_CONTINUATION_TOKEN) {
                length = prefix.position() >= 8 ? prefix.getInt(4) : -1;
                metadataStart = offset + 8;
            }
            if (length == 0) {
                return null;
            }
            if (length < 0 || length > size - metadataStart) {
                throw new ImportException("bad Arrow IPC message at offset " + offset + ": " + Integer.toUnsignedString(length)
                        + " bytes of metadata, the file has " + Math.max(0, size - metadataStart) + " left");
            }
            ByteBuffer metadata = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
            while (metadata.hasRemaining()) {
                if (channel.read(metadata, metadataStart + metadata.position()) < 0) {
                    throw new ImportException("the file ends inside the Arrow IPC message at offset " + offset);
                }
            }
            metadata.flip();
            org.apache.arrow.flatbuf.Message message;
            long bodyLength;
            try {
                message = org.apache.arrow.flatbuf.Message.getRootAsMessage(metadata);
                bodyLength = message.bodyLength();
                message.headerType();
            } catch (RuntimeException e) {
                throw new ImportException("bad Arrow IPC message at offset " + offset + ": " + e);
            }
            long end = metadataStart + length + bodyLength;
            if (bodyLength < 0 || end > size) {
                throw new ImportException("bad Arrow IPC message at offset " + offset + ": a body of " + bodyLength
                        + " bytes, the file has " + (size - metadataStart - length) + " left");
            }
            return new Message(message, end);
        }

        /** Rows of an IPC stream, from its message headers; refuses what does not start with a schema. */
        private static long streamRows(FileChannel channel, long size, Path file) throws IOException {
            long position = 0;
            long rows = 0;
            boolean first = true;
            while (true) {
                Message message;
                try {
                    message = readMetadata(channel, position, size);
                } catch (ImportException e) {
                    if (first) {
                        throw notArrow(file);
                    }
                    throw new ImportException(file + ": " + e.getMessage());
                }
                if (message == null) {
                    if (first) {
                        throw notArrow(file);
                    }
                    return rows;
                }
                byte type = message.message.headerType();
                if (first && type != MessageHeader.Schema) {
                    throw notArrow(file);
                }
                first = false;
                if (type == MessageHeader.RecordBatch) {
                    rows += ((RecordBatch) message.message.header(new RecordBatch())).length();
                }
                position = message.end;
            }
        }

        private static ImportException notArrow(Path file) {
            return new ImportException(file + " is not an Arrow IPC file (no ARROW1 magic) nor an Arrow IPC stream");
        }

        Schema schema() {
            try {
                return reader.getVectorSchemaRoot().getSchema();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }

        ArrowReader reader() {
            return reader;
        }

        long rows() {
            return rows;
        }

        /** Reads the next batch; false at the end. */
        boolean next() {
            releaseDecoded();
            try {
                if (!reader.loadNextBatch()) {
                    return false;
                }
                VectorSchemaRoot root = reader.getVectorSchemaRoot();
                List<FieldVector> vectors = new ArrayList<>();
                for (FieldVector vector : root.getFieldVectors()) {
                    if (vector.getField().getDictionary() == null) {
                        vectors.add(vector);
                    } else {
                        Dictionary dictionary = reader.getDictionaryVectors().get(vector.getField().getDictionary().getId());
                        FieldVector values = (FieldVector) DictionaryEncoder.decode(vector, dictionary, allocator);
                        owned.add(values);
                        vectors.add(values);
                    }
                }
                decoded = new VectorSchemaRoot(vectors);
                decoded.setRowCount(root.getRowCount());
                return true;
            } catch (IOException | RuntimeException e) {
                throw new ImportException("cannot read the file's record batches: " + e.getMessage());
            }
        }

        /** The batch read last; valid until the next call of {@link #next()}. */
        VectorSchemaRoot batch() {
            return decoded;
        }

        private void releaseDecoded() {
            // The reader's vectors are its own; only the decoded dictionaries are ours.
            owned.forEach(FieldVector::close);
            owned.clear();
            decoded = null;
        }

        @Override
        public void close() {
            releaseDecoded();
            closeQuietly(reader);
        }

        private static void closeQuietly(AutoCloseable closeable) {
            if (closeable == null) {
                return;
            }
            try {
                closeable.close();
            } catch (Exception ignored) {
                // reading is over
            }
        }
    }

    private static String describe(Status status) {
        StringBuilder text = new StringBuilder(status.getCode().toString());
        if (status.getDescription() != null) {
            text.append(": ").append(status.getDescription());
        }
        // "io exception" alone does not say what happened: the cause does (connection refused, ...).
        for (Throwable cause = status.getCause(); cause != null; cause = cause.getCause()) {
            if (cause.getMessage() != null && (status.getDescription() == null || !status.getDescription().contains(cause.getMessage()))) {
                text.append(" (").append(cause.getMessage()).append(')');
                break;
            }
        }
        if (status.getCode() == Status.Code.RESOURCE_EXHAUSTED) {
            text.append(" (give fewer --region-rows, or the node a larger memory-limit)");
        }
        return text.toString();
    }

    private static String describeColumns(List<io.mppnode.proto.plan.Field> columns) {
        return columns.stream().map(column -> column.getName() + " " + ColumnTypes.describe(column.getType())).toList().toString();
    }
}
