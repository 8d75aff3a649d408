package io.mppnode.exec.planner;

import io.mppnode.exchange.receiver.ExchangeReceiver;
import java.util.List;
import io.mppnode.proto.Mpp.TaskMeta;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Makes the receivers of a task's ExchangeReceiver executors: the node knows which senders are
 * local and how to reach the remote ones. The receiver returned is not started; the caller
 * owns and closes it.
 */
public interface ExchangeReceiverFactory {
    ExchangeReceiver create(String executorId, List<TaskMeta> senders, Schema schema, BufferAllocator allocator);

    /** For tasks that have no receiver executor. */
    ExchangeReceiverFactory NONE = (executorId, senders, schema, allocator) -> {
        throw new IllegalStateException("this task cannot receive: no receiver factory");
    };
}
