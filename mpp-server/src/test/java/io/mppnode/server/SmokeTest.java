package io.mppnode.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.mppnode.proto.Mpp.IsAliveRequest;
import org.junit.jupiter.api.Test;

class SmokeTest {
    @Test
    void nodeAnswersIsAlive() {
        try (TestingNode node = TestingNode.start()) {
            assertThat(node.blocking().isAlive(IsAliveRequest.getDefaultInstance()).getAvailable()).isTrue();
        }
    }
}
