package io.mppnode.server.task;

import static java.util.Objects.requireNonNull;

import io.mppnode.error.MppException;
import io.mppnode.proto.plan.ExecutionSummaries;
import java.util.Optional;

/** How a task ended: its final state, the error unless it finished, and its execution summaries. */
public record TaskOutcome(TaskState state, Optional<MppException> error, ExecutionSummaries summaries) {
    public TaskOutcome {
        requireNonNull(state, "state is null");
        requireNonNull(error, "error is null");
        requireNonNull(summaries, "summaries is null");
        if (!state.isDone()) {
            throw new IllegalArgumentException("an outcome needs a final state, got " + state);
        }
    }

    public String describe() {
        return error.map(e -> state.name().toLowerCase(java.util.Locale.ROOT) + ": " + e.getMessage())
                .orElse(state.name().toLowerCase(java.util.Locale.ROOT));
    }
}
