package io.mppnode.server.task;

import io.mppnode.error.ErrorCode;
import io.mppnode.error.MppException;
import java.util.List;

/**
 * The {@code mpp_version}s this node accepts. Version 1: plans are {@code mppnode.plan.Plan},
 * data packets carry Arrow IPC chunks ({@code MPPDataPacket.version = 1}).
 */
public final class MppVersions {
    public static final long CURRENT = 1;
    public static final List<Long> SUPPORTED = List.of(1L);

    private MppVersions() {}

    /** @throws MppException UNSUPPORTED_MPP_VERSION, listing the supported versions */
    public static void check(long version) {
        if (!SUPPORTED.contains(version)) {
            throw new MppException(ErrorCode.UNSUPPORTED_MPP_VERSION, "unsupported mpp_version " + version
                    + "; this node accepts mpp_version " + SUPPORTED);
        }
    }
}
