package io.mppnode.exec.operator.join;

import io.mppnode.error.ErrorCode;
import io.mppnode.error.MppException;
import io.mppnode.proto.plan.DataType;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.OutOfMemoryException;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Connects the two pipelines of one hash join: the {@link HashBuildOperator} instances that take
 * the build side's rows and the {@link LookupJoinOperator} instances that probe them. It owns the
 * build rows handed over by finished build instances and, once built, the lookup table.
 *
 * <p>Life cycle: when the last of the {@code buildInstances} build operators finishes, it builds
 * the table (on its own thread) and publishes it, which completes {@link #whenBuilt()} and so
 * wakes the waiting probes. The table is freed when every build and probe operator has closed,
 * or when the bridge is closed, whichever comes first; closing the bridge again does nothing. If
 * a build operator closes before it finished (the task was cancelled, or failed elsewhere), the
 * rows handed over so far are freed at once, {@link #whenBuilt()} completes, and a probe that
 * runs again fails with an {@link MppException}.
 *
 * <p>Memory: the table lives in the allocator of the build operators' context, so that context
 * must stay open until the table is freed. Share one {@code OperatorContext}, retained per
 * instance, among every build and probe instance of the join (as {@code OperatorContext}
 * intends for the two halves of a join); its last reference is then given back after the last
 * operator closed, when the table is already freed. A task that stops before it created every
 * declared instance must {@link #close()} the bridge before closing that context.
 *
 * <p>Columns: the output of some joins has the columns of a side that produced no batch at all
 * (a left outer join with an empty build side, say). The bridge learns each side's columns from
 * its first batch; give them to {@link #JoinBridge(int, int, Schema, Schema)} to cover empty
 * sides, or such a join fails with an IllegalStateException that says so.
 *
 * <p>Thread-safe: the operators call it from their drivers' threads.
 */
public final class JoinBridge implements AutoCloseable {
    private final int buildInstances;
    private final int probeInstances;
    /** Completes when the table is published, or when it never will be (failure, close). */
    private final CompletableFuture<Void> built = new CompletableFuture<>();

    // Guarded by this.
    private final List<BuildPart> parts = new ArrayList<>();
    private Schema buildSchema;
    private Schema probeSchema;
    private int buildsRegistered;
    private int probesRegistered;
    private int buildsFinished;
    private int buildsClosed;
    private int probesClosed;
    private int probesFinished;
    private LookupTable table;
    /** Why no table will come; null while one may. */
    private MppException failure;
    private boolean freed;

    /**
     * @param buildInstances how many {@link HashBuildOperator}s feed the table
     * @param probeInstances how many {@link LookupJoinOperator}s probe it
     */
    public JoinBridge(int buildInstances, int probeInstances) {
        this(buildInstances, probeInstances, null, null);
    }

    /**
     * @param buildSchema the build side's columns, or null to learn them from its batches
     * @param probeSchema the probe side's columns, or null to learn them from its batches
     */
    public JoinBridge(int buildInstances, int probeInstances, Schema buildSchema, Schema probeSchema) {
        if (buildInstances < 1 || probeInstances < 1) {
            throw new IllegalArgumentException("a join needs at least one build and one probe instance, got "
                    + buildInstances + " and " + probeInstances);
        }
        this.buildInstances = buildInstances;
        this.probeInstances = probeInstances;
        this.buildSchema = buildSchema;
        this.probeSchema = probeSchema;
    }

    /** Completes when the table is published or will never be; a probe then asks {@link #table()}. */
    CompletableFuture<Void> whenBuilt() {
        return built;
    }

    /**
     * Frees the table, or the build rows gathered so far, and wakes waiting probes; idempotent.
     * Call it once no driver of the join is running (at the end of the task, or when it is torn
     * down): a probe running on another thread would read the freed table.
     */
    @Override
    public void close() {
        synchronized (this) {
            if (failure == null && table == null) {
                failure = new MppException(ErrorCode.QUERY_CANCELLED, "the join was closed before its build side finished");
            }
            free();
        }
        built.complete(null);
    }

    // ----- for the build operators -----

    synchronized void registerBuild() {
        if (buildsRegistered == buildInstances) {
            throw new IllegalStateException("the join bridge expects " + buildInstances + " build operators, not more");
        }
        checkNotFreed();
        buildsRegistered++;
    }

    /** Checks a build batch's columns against those seen before (or given), and remembers them. */
    synchronized void recordBuildSchema(Schema schema) {
        buildSchema = checkSameColumns("build", buildSchema, schema);
    }

    /**
     * Hands over one build instance's rows (ownership included). When it is the last instance to
     * finish, builds the table from every instance's rows in {@code allocator}, on this thread,
     * and publishes it.
     *
     * @throws OutOfMemoryException when the table does not fit; the probes then fail too
     */
    void finishBuild(BuildPart part, List<DataType> keyTypes, BufferAllocator allocator) {
        List<BuildPart> all;
        Schema schema;
        synchronized (this) {
            if (freed || failure != null) {
                part.close();
                return;
            }
            parts.add(part);
            buildsFinished++;
            if (buildsFinished < buildInstances) {
                return;
            }
            all = new ArrayList<>(parts);
            parts.clear();
            schema = buildSchema;
        }
        LookupTable lookupTable;
        try {
            lookupTable = LookupTable.build(schema, keyTypes, all, allocator);
        } catch (RuntimeException | Error e) {
            synchronized (this) {
                if (failure == null) {
                    failure = buildFailure(e);
                }
            }
            built.complete(null);
            throw e;
        }
        synchronized (this) {
            if (freed) {
                lookupTable.close(); // the bridge was closed while this thread built
            } else {
                table = lookupTable;
            }
        }
        built.complete(null);
    }

    /** A build operator closed; {@code finished} tells whether it had handed over its rows. */
    void buildClosed(boolean finished) {
        synchronized (this) {
            buildsClosed++;
            if (!finished && table == null && failure == null) {
                failure = new MppException(ErrorCode.QUERY_CANCELLED,
                        "the build side of the join stopped before it finished (the task was cancelled or failed)");
                parts.forEach(BuildPart::close);
                parts.clear();
            }
            freeWhenUnused();
        }
        if (!finished) {
            built.complete(null);
        }
    }

    // ----- for the probe operators -----

    synchronized void registerProbe() {
        if (probesRegistered == probeInstances) {
            throw new IllegalStateException("the join bridge expects " + probeInstances + " probe operators, not more");
        }
        checkNotFreed();
        probesRegistered++;
    }

    /** Checks a probe batch's columns against those seen before (or given), and remembers them. */
    synchronized void recordProbeSchema(Schema schema) {
        probeSchema = checkSameColumns("probe", probeSchema, schema);
    }

    /** The probe side's columns, or null when no probe instance saw a batch and none were given. */
    synchronized Schema probeSchema() {
        return probeSchema;
    }

    /** Whether {@link #table()} would return a table now (and not throw). */
    synchronized boolean isPublished() {
        return table != null && !freed;
    }

    /**
     * The published table, for reading; it stays valid until the calling probe closes.
     *
     * @throws MppException when no table will come (the build stopped, failed, or the bridge closed)
     * @throws IllegalStateException when it is not built yet
     */
    synchronized LookupTable table() {
        if (failure != null) {
            throw failure;
        }
        if (freed) {
            throw new MppException(ErrorCode.QUERY_CANCELLED, "the join was closed");
        }
        if (table == null) {
            throw new IllegalStateException("the join's table is not built yet");
        }
        return table;
    }

    /** The shared match flags of the build rows (see {@link BuildMatches}), made on first use. */
    synchronized BuildMatches matches(boolean byRow) {
        return table().matches(byRow);
    }

    /**
     * A probe instance has probed all its rows and recorded all its matches.
     *
     * @return whether it is the last of them, the one to emit the build rows that depend on
     *     every probe's matches
     */
    synchronized boolean probeFinished() {
        probesFinished++;
        return probesFinished == probeInstances;
    }

    synchronized void probeClosed() {
        probesClosed++;
        freeWhenUnused();
    }

    // ----- internals -----

    private void freeWhenUnused() {
        if (buildsClosed >= buildInstances && probesClosed >= probeInstances) {
            free();
        }
    }

    private void free() {
        if (freed) {
            return;
        }
        freed = true;
        parts.forEach(BuildPart::close);
        parts.clear();
        if (table != null) {
            table.close();
            table = null;
        }
    }

    private void checkNotFreed() {
        if (freed) {
            throw new IllegalStateException("the join bridge is closed");
        }
    }

    private static MppException buildFailure(Throwable e) {
        if (e instanceof MppException mpp) {
            return mpp;
        }
        ErrorCode code = e instanceof OutOfMemoryException ? ErrorCode.MEMORY_LIMIT_EXCEEDED : ErrorCode.INTERNAL_ERROR;
        return new MppException(code, "building the join's hash table failed: " + e.getMessage(), e);
    }

    private static Schema checkSameColumns(String side, Schema known, Schema seen) {
        if (known == null) {
            return seen;
        }
        List<Field> expected = known.getFields();
        List<Field> actual = seen.getFields();
        boolean same = expected.size() == actual.size();
        for (int i = 0; same && i < expected.size(); i++) {
            same = expected.get(i).getType().equals(actual.get(i).getType());
        }
        if (!same) {
            throw new IllegalArgumentException("the join's " + side + " side has columns " + known
                    + ", but a batch came with " + seen);
        }
        return known;
    }
}
