package io.mppnode.error;

/**
 * Every error the node reports, one code each, in ranges by kind: 1xxx the request or the plan
 * is wrong (the user's to fix), 2xxx the node lacks a resource or is going away, 3xxx something
 * outside the node failed (a peer, the coordinator, the network), 9xxx a bug of ours. The code
 * travels in {@code mpp.Error.code}.
 */
public enum ErrorCode {
    INVALID_REQUEST(1001, Kind.USER),
    MALFORMED_PLAN(1002, Kind.USER),
    INVALID_PLAN(1003, Kind.USER),
    NOT_SUPPORTED_YET(1004, Kind.USER),
    UNKNOWN_TABLE(1005, Kind.USER),
    UNKNOWN_COLUMN(1006, Kind.USER),
    UNSUPPORTED_MPP_VERSION(1007, Kind.USER),
    DUPLICATE_TASK(1008, Kind.USER),
    TASK_NOT_FOUND(1009, Kind.USER),
    GATHER_NOT_FOUND(1010, Kind.USER),
    QUERY_NOT_FOUND(1011, Kind.USER),
    QUERY_CANCELLED(1012, Kind.USER),
    TASK_ALREADY_DONE(1013, Kind.USER),
    /** A value that cannot be computed: integer or decimal overflow, text that does not cast. */
    DATA_ERROR(1014, Kind.USER),
    /** A region the request names is not on the node, or is there at another epoch: the coordinator retries it. */
    REGION_NOT_FOUND(1015, Kind.USER),
    /** Data that cannot be loaded: a file that is not Arrow IPC, a column of a type the node does not store. */
    INVALID_DATA(1016, Kind.USER),
    /** A read at a start_ts below the safe point: the versions it needs were compacted away. */
    SNAPSHOT_TOO_OLD(1017, Kind.USER),

    MEMORY_LIMIT_EXCEEDED(2001, Kind.INSUFFICIENT_RESOURCES),
    NODE_SHUTTING_DOWN(2002, Kind.INSUFFICIENT_RESOURCES),
    TIMEOUT(2003, Kind.INSUFFICIENT_RESOURCES),
    /** A read at a start_ts the binlog replica has not applied up to yet, after waiting for it. */
    REPLICA_BEHIND(2004, Kind.INSUFFICIENT_RESOURCES),

    REMOTE_TASK_FAILED(3001, Kind.EXTERNAL),
    CONNECTION_FAILED(3002, Kind.EXTERNAL),
    RECEIVER_GONE(3003, Kind.EXTERNAL),

    INTERNAL_ERROR(9001, Kind.INTERNAL);

    public enum Kind { USER, INSUFFICIENT_RESOURCES, EXTERNAL, INTERNAL }

    private final int code;
    private final Kind kind;

    ErrorCode(int code, Kind kind) {
        this.code = code;
        this.kind = kind;
    }

    public int code() {
        return code;
    }

    public Kind kind() {
        return kind;
    }

    /** The code with this number, or {@link #INTERNAL_ERROR} for a number we do not know. */
    public static ErrorCode fromCode(int code) {
        for (ErrorCode value : values()) {
            if (value.code == code) {
                return value;
            }
        }
        return INTERNAL_ERROR;
    }
}
