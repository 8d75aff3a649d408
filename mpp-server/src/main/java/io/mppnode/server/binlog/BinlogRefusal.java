package io.mppnode.server.binlog;

/**
 * A binlog entity the node will not take, and why: the message goes back to the writer in
 * {@code WriteBinlogResp.errmsg}. Nothing of a refused entity is written or applied.
 */
public final class BinlogRefusal extends RuntimeException {
    public BinlogRefusal(String message) {
        super(message);
    }
}
