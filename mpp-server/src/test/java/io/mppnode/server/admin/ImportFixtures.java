package io.mppnode.server.admin;

import io.mppnode.exec.type.ArrowValues;
import io.mppnode.exec.type.ColumnTypes;
import io.mppnode.proto.plan.Field;
import io.mppnode.proto.plan.TypeKind;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.channels.Channels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowFileWriter;
import org.apache.arrow.vector.ipc.ArrowStreamWriter;
import org.apache.arrow.vector.ipc.ArrowWriter;
import org.apache.arrow.vector.types.DateUnit;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.TimeUnit;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

/** Arrow IPC files and streams of a table with every supported type, NULLs, and a non-nullable column, for the import tests. */
public final class ImportFixtures {
    /** The file's schema: column i64 is declared non-nullable, as files often do. */
    public static final Schema SCHEMA = new Schema(List.of(
            field("b", ArrowType.Bool.INSTANCE, true),
            field("i32", new ArrowType.Int(32, true), true),
            field("i64", new ArrowType.Int(64, true), false),
            field("f64", new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE), true),
            field("dec", new ArrowType.Decimal(12, 3, 128), true),
            field("s", ArrowType.Utf8.INSTANCE, true),
            field("d", new ArrowType.Date(DateUnit.DAY), true),
            field("ts", new ArrowType.Timestamp(TimeUnit.MICROSECOND, null), true)));

    /** The table's columns, as the import maps the schema. */
    public static final List<Field> COLUMNS = List.of(
            column("b", ColumnTypes.of(TypeKind.BOOLEAN)),
            column("i32", ColumnTypes.of(TypeKind.INT32)),
            column("i64", ColumnTypes.of(TypeKind.INT64)),
            column("f64", ColumnTypes.of(TypeKind.FLOAT64)),
            column("dec", ColumnTypes.decimal(12, 3)),
            column("s", ColumnTypes.of(TypeKind.STRING)),
            column("d", ColumnTypes.of(TypeKind.DATE)),
            column("ts", ColumnTypes.of(TypeKind.TIMESTAMP)));

    private ImportFixtures() {}

    public static org.apache.arrow.vector.types.pojo.Field field(String name, ArrowType type, boolean nullable) {
        return new org.apache.arrow.vector.types.pojo.Field(name, new FieldType(nullable, type, null), null);
    }

    public static Field column(String name, io.mppnode.proto.plan.DataType type) {
        return Field.newBuilder().setName(name).setType(type).build();
    }

    /** The value of row {@code row} (from 0), column {@code column}: NULLs in every nullable column. */
    public static Object value(long row, int column) {
        int r = (int) row;
        return switch (column) {
            case 0 -> r % 3 == 0 ? null : r % 2 == 0;
            case 1 -> r % 5 == 0 ? null : r * 7 - 100;
            case 2 -> row * 1_000_000_007L - 5;
            case 3 -> r % 7 == 0 ? null : r * 0.5 - 3.25;
            case 4 -> r % 4 == 0 ? null : BigDecimal.valueOf(r * 1001L - 7000, 3);
            case 5 -> r % 6 == 0 ? null : "row-" + r + (r % 10 == 1 ? "-ünïcødé-東京" : "");
            case 6 -> r % 8 == 0 ? null : LocalDate.ofEpochDay(19_000 + r);
            case 7 -> r % 9 == 0 ? null : LocalDateTime.of(2024, 1, 1, 0, 0).plusNanos(r * 1_000_003_000L);
            default -> throw new IllegalArgumentException("column " + column);
        };
    }

    public static List<Object> row(long row) {
        List<Object> values = new ArrayList<>();
        for (int column = 0; column < SCHEMA.getFields().size(); column++) {
            values.add(value(row, column));
        }
        return values;
    }

    /** Rows {@code [from, from + count)} as a batch of the file's schema. */
    public static VectorSchemaRoot batch(Schema schema, long from, int count, BufferAllocator allocator) {
        VectorSchemaRoot root = VectorSchemaRoot.create(schema, allocator);
        root.allocateNew();
        for (int i = 0; i < count; i++) {
            for (int column = 0; column < schema.getFields().size(); column++) {
                FieldVector vector = root.getVector(column);
                ArrowValues.set(vector, i, value(from + i, column));
            }
        }
        root.setRowCount(count);
        return root;
    }

    /** Writes {@code rows} rows in batches of {@code batchRows} as an Arrow IPC file ({@code fileFormat}) or stream. */
    public static Path write(Path file, long rows, int batchRows, boolean fileFormat, BufferAllocator allocator) {
        try (OutputStream out = Files.newOutputStream(file)) {
            writeTo(out, SCHEMA, 0, rows, batchRows, fileFormat, allocator);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** An Arrow IPC stream of rows {@code [from, from + rows)}, as one arrow_ipc message carries it. */
    public static byte[] stream(Schema schema, long from, long rows, int batchRows, BufferAllocator allocator) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        writeTo(out, schema, from, rows, batchRows, false, allocator);
        return out.toByteArray();
    }

    private static void writeTo(OutputStream out, Schema schema, long from, long rows, int batchRows, boolean fileFormat, BufferAllocator allocator) {
        try (VectorSchemaRoot root = VectorSchemaRoot.create(schema, allocator);
                ArrowWriter writer = fileFormat
                        ? new ArrowFileWriter(root, null, Channels.newChannel(out))
                        : new ArrowStreamWriter(root, null, Channels.newChannel(out))) {
            writer.start();
            for (long start = 0; start < rows; start += batchRows) {
                int count = (int) Math.min(batchRows, rows - start);
                try (VectorSchemaRoot batch = batch(schema, from + start, count, allocator)) {
                    // Move the batch's buffers into the writer's root.
                    for (int column = 0; column < schema.getFields().size(); column++) {
                        batch.getVector(column).makeTransferPair(root.getVector(column)).transfer();
                    }
                    root.setRowCount(count);
                }
                writer.writeBatch();
            }
            writer.end();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The rows of {@link #writeDictionaryFile}: an int64 id and a dictionary-encoded string. */
    public static final List<List<Object>> DICTIONARY_ROWS = List.of(
            java.util.Arrays.asList(0L, "red"), java.util.Arrays.asList(1L, "green"), java.util.Arrays.asList(2L, null),
            java.util.Arrays.asList(3L, "red"), java.util.Arrays.asList(4L, "blue"));

    /** An Arrow IPC file whose column "color" is dictionary-encoded (int32 indices into utf8). */
    public static Path writeDictionaryFile(Path file, BufferAllocator allocator) {
        try (org.apache.arrow.vector.VarCharVector values = new org.apache.arrow.vector.VarCharVector("color", allocator);
                org.apache.arrow.vector.VarCharVector colors = new org.apache.arrow.vector.VarCharVector("color", allocator);
                org.apache.arrow.vector.BigIntVector ids = new org.apache.arrow.vector.BigIntVector("id", allocator);
                OutputStream out = Files.newOutputStream(file)) {
            List<String> palette = List.of("red", "green", "blue");
            for (int i = 0; i < palette.size(); i++) {
                ArrowValues.set(values, i, palette.get(i));
            }
            values.setValueCount(palette.size());
            for (int i = 0; i < DICTIONARY_ROWS.size(); i++) {
                ArrowValues.set(ids, i, DICTIONARY_ROWS.get(i).get(0));
                ArrowValues.set(colors, i, DICTIONARY_ROWS.get(i).get(1));
            }
            ids.setValueCount(DICTIONARY_ROWS.size());
            colors.setValueCount(DICTIONARY_ROWS.size());
            org.apache.arrow.vector.dictionary.Dictionary dictionary = new org.apache.arrow.vector.dictionary.Dictionary(values,
                    new org.apache.arrow.vector.types.pojo.DictionaryEncoding(1L, false, new ArrowType.Int(32, true)));
            FieldVector encoded = (FieldVector) org.apache.arrow.vector.dictionary.DictionaryEncoder.encode(colors, dictionary);
            var idsCopy = ids.getTransferPair(allocator);
            idsCopy.transfer();
            try (VectorSchemaRoot root = new VectorSchemaRoot(List.of((FieldVector) idsCopy.getTo(), encoded));
                    ArrowFileWriter writer = new ArrowFileWriter(root,
                            new org.apache.arrow.vector.dictionary.DictionaryProvider.MapDictionaryProvider(dictionary), Channels.newChannel(out))) {
                root.setRowCount(DICTIONARY_ROWS.size());
                writer.start();
                writer.writeBatch();
                writer.end();
            }
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** An Arrow IPC file (no rows) with an int16 column "small" and a timestamp with a time zone "zoned". */
    public static Path writeUnsupportedFile(Path file, BufferAllocator allocator) {
        Schema schema = new Schema(List.of(field("id", new ArrowType.Int(64, true), true), field("small", new ArrowType.Int(16, true), true),
                field("zoned", new ArrowType.Timestamp(TimeUnit.MICROSECOND, "UTC"), true)));
        try (OutputStream out = Files.newOutputStream(file);
                VectorSchemaRoot root = VectorSchemaRoot.create(schema, allocator);
                ArrowFileWriter writer = new ArrowFileWriter(root, null, Channels.newChannel(out))) {
            writer.start();
            writer.end();
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** An Arrow IPC file of {@code rows} rows whose record batches are ZSTD-compressed. */
    public static Path writeCompressed(Path file, long rows, BufferAllocator allocator) {
        try (OutputStream out = Files.newOutputStream(file);
                VectorSchemaRoot root = VectorSchemaRoot.create(SCHEMA, allocator);
                ArrowFileWriter writer = new ArrowFileWriter(root, null, Channels.newChannel(out), null,
                        org.apache.arrow.vector.ipc.message.IpcOption.DEFAULT, io.mppnode.exchange.codec.ExchangeCodecs.INSTANCE,
                        org.apache.arrow.vector.compression.CompressionUtil.CodecType.ZSTD)) {
            writer.start();
            for (long start = 0; start < rows; start += 1000) {
                int count = (int) Math.min(1000, rows - start);
                try (VectorSchemaRoot batch = batch(SCHEMA, start, count, allocator)) {
                    for (int column = 0; column < SCHEMA.getFields().size(); column++) {
                        batch.getVector(column).makeTransferPair(root.getVector(column)).transfer();
                    }
                    root.setRowCount(count);
                }
                writer.writeBatch();
            }
            writer.end();
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
