package io.mppnode.error;

import static java.util.Objects.requireNonNull;

import io.mppnode.proto.Mpp;

/**
 * The one exception type of the node: a message a person can act on, and an {@link ErrorCode}.
 * Its translation to and from the wire ({@code mpp.Error}) lives here and nowhere else.
 */
public class MppException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final ErrorCode code;

    public MppException(ErrorCode code, String message) {
        this(code, message, null);
    }

    public MppException(ErrorCode code, String message, Throwable cause) {
        super(requireNonNull(message, "message is null"), cause);
        this.code = requireNonNull(code, "code is null");
    }

    public ErrorCode code() {
        return code;
    }

    /** The given failure as an MppException: itself if it is one, else an internal error that keeps it as the cause. */
    public static MppException wrap(Throwable failure) {
        if (failure instanceof MppException mpp) {
            return mpp;
        }
        if (failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null) {
            return wrap(failure.getCause());
        }
        String message = failure.getMessage() == null ? failure.getClass().getSimpleName() : failure.getMessage();
        return new MppException(ErrorCode.INTERNAL_ERROR, "internal error: " + message, failure);
    }

    /** This error as it travels on the wire. */
    public Mpp.Error toWire(long mppVersion) {
        return Mpp.Error.newBuilder().setCode(code.code()).setMsg(getMessage()).setMppVersion(mppVersion).build();
    }

    /** An error received from the wire, with a prefix that says where it came from (may be empty). */
    public static MppException fromWire(Mpp.Error error, String source) {
        String prefix = source.isEmpty() ? "" : source + ": ";
        return new MppException(ErrorCode.fromCode(error.getCode()), prefix + error.getMsg());
    }
}
