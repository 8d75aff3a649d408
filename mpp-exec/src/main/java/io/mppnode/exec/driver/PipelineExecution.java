package io.mppnode.exec.driver;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * Runs the drivers of one task on a shared worker pool, each independently and possibly at the
 * same time: a driver runs for one time slice, then either goes back to the pool's queue, waits
 * for its blocked future without holding a thread, or ends. A driver that ends is closed at
 * once, so its memory returns while the others still run.
 *
 * <p>{@link #done()} completes when every driver has finished and been closed, or exceptionally
 * with the first failure; after a failure or {@link #stop()}, no driver starts another slice,
 * and {@link #quiet()} completes once none is running and every driver is closed, so the caller
 * may close what the drivers share. Thread-safe.
 */
public final class PipelineExecution {
    private enum State { WAITING, QUEUED, RUNNING, ENDED }

    private final Executor workers;
    private final long sliceNanos;
    private final List<Runner> runners = new ArrayList<>();
    private final CompletableFuture<Void> done = new CompletableFuture<>();
    private final CompletableFuture<Void> quiet = new CompletableFuture<>();
    private boolean stopping;
    private int ended;
    private int finished;
    private Throwable firstFailure;

    public PipelineExecution(List<Driver> drivers, Executor workers, long sliceNanos) {
        this.workers = requireNonNull(workers, "workers is null");
        this.sliceNanos = sliceNanos;
        for (Driver driver : drivers) {
            runners.add(new Runner(driver));
        }
        if (runners.isEmpty()) {
            throw new IllegalArgumentException("no drivers to run");
        }
    }

    /** Schedules every driver. */
    public void start() {
        for (Runner runner : runners) {
            runner.schedule();
        }
    }

    /** Completes when every driver finished; exceptionally with the first failure. */
    public CompletableFuture<Void> done() {
        return done;
    }

    /** Completes once no driver runs or will run again (after every driver ended, a failure, or {@link #stop()}). */
    public CompletableFuture<Void> quiet() {
        return quiet;
    }

    /** No driver starts another slice; drivers waiting on a future end now, running ones after their slice. */
    public void stop() {
        List<Runner> idle = new ArrayList<>();
        synchronized (this) {
            stopping = true;
            for (Runner runner : runners) {
                if (runner.state == State.WAITING) {
                    runner.state = State.ENDED;
                    idle.add(runner);
                }
            }
        }
        for (Runner runner : idle) {
            ended(runner, null);
        }
    }

    private void ended(Runner runner, Throwable failure) {
        boolean driverFinished = failure == null && runner.driver.isFinished();
        if (failure != null) {
            synchronized (this) {
                if (firstFailure == null) {
                    firstFailure = failure;
                    stopping = true;
                }
            }
        }
        try {
            runner.driver.close();
        } catch (RuntimeException e) {
            if (failure == null) {
                synchronized (this) {
                    if (firstFailure == null) {
                        firstFailure = e;
                        stopping = true;
                    }
                }
                failure = e;
            }
        }
        // Counted only once closed, so that done() and quiet() complete after every driver's
        // close returned: the caller then frees what the drivers used (the task's allocator).
        boolean all;
        boolean allFinished;
        synchronized (this) {
            ended++;
            if (driverFinished && failure == null) {
                finished++;
            }
            all = ended == runners.size();
            allFinished = finished == runners.size();
        }
        if (failure != null) {
            synchronized (this) {
                done.completeExceptionally(firstFailure);
            }
            stop();
        }
        if (all) {
            synchronized (this) {
                if (firstFailure != null) {
                    done.completeExceptionally(firstFailure);
                } else if (allFinished) {
                    done.complete(null);
                } else {
                    done.completeExceptionally(new java.util.concurrent.CancellationException("the task's drivers were stopped"));
                }
            }
            quiet.complete(null);
        }
    }

    private final class Runner {
        private final Driver driver;
        private State state = State.WAITING;

        Runner(Driver driver) {
            this.driver = driver;
        }

        void schedule() {
            synchronized (PipelineExecution.this) {
                if (state != State.WAITING) {
                    return;
                }
                if (stopping) {
                    state = State.ENDED;
                } else {
                    state = State.QUEUED;
                }
            }
            if (state == State.ENDED) {
                ended(this, null);
                return;
            }
            try {
                workers.execute(this::run);
            } catch (RejectedExecutionException e) {
                synchronized (PipelineExecution.this) {
                    state = State.ENDED;
                }
                ended(this, e);
            }
        }

        private void run() {
            synchronized (PipelineExecution.this) {
                if (stopping) {
                    state = State.ENDED;
                } else {
                    state = State.RUNNING;
                }
            }
            if (state == State.ENDED) {
                ended(this, null);
                return;
            }
            CompletableFuture<Void> blocked;
            try {
                blocked = driver.process(sliceNanos);
            } catch (Throwable t) {
                synchronized (PipelineExecution.this) {
                    state = State.ENDED;
                }
                ended(this, t);
                return;
            }
            boolean end;
            synchronized (PipelineExecution.this) {
                end = stopping || driver.isFinished();
                state = end ? State.ENDED : State.WAITING;
            }
            if (end) {
                ended(this, null);
            } else if (blocked.isDone()) {
                schedule();
            } else {
                blocked.whenComplete((ignored, error) -> schedule());
            }
        }
    }
}
