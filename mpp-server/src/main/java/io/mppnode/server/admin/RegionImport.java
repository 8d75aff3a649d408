package io.mppnode.server.admin;

import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.mppnode.exec.storage.Catalog;
import io.mppnode.proto.admin.ImportRequest;
import io.mppnode.proto.admin.ImportResponse;
import org.apache.arrow.memory.BufferAllocator;

/** One ImportRegion call: a header, then Arrow IPC streams of rows. (Being written.) */
final class RegionImport implements StreamObserver<ImportRequest> {
    private final StreamObserver<ImportResponse> response;

    RegionImport(Catalog catalog, BufferAllocator allocator, StreamObserver<ImportResponse> response) {
        this.response = response;
    }

    @Override
    public void onNext(ImportRequest request) {}

    @Override
    public void onError(Throwable error) {}

    @Override
    public void onCompleted() {
        response.onError(Status.UNIMPLEMENTED.withDescription("ImportRegion is not implemented yet").asRuntimeException());
    }
}
