package dev.sluice.adapters.dynamodb;

import dev.sluice.core.session.Kernel;
import dev.sluice.core.session.Session;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.Delete;
import software.amazon.awssdk.services.dynamodb.model.Put;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItem;

/**
 * The {@code by-agent} index is keyed by the session's first agent. The other kernels of a multi-node session are
 * found by their agents through one small pointer item each ({@code id = <session>#k<index>}, {@code hostingAgent},
 * {@code kernelOf}), written in the placement's transaction and deleted in the one that releases the kernel.
 */
final class KernelPointers {
    static final String KERNEL_OF = "kernelOf";

    private KernelPointers() {
    }

    static String id(String sessionId, int index) {
        return sessionId + "#k" + index;
    }

    /** The write or the delete of a further kernel's pointer item. */
    static TransactWriteItem of(String table, dev.sluice.core.session.SessionChange.Pointer p) {
        if (!p.put()) {
            return TransactWriteItem.builder().delete(Delete.builder().tableName(table)
                    .key(Map.of("id", AttributeValue.fromS(id(p.sessionId(), p.index())))).build()).build();
        }
        Map<String, AttributeValue> item = Map.of(
                "id", AttributeValue.fromS(id(p.sessionId(), p.index())),
                "hostingAgent", AttributeValue.fromS(p.agentId()),
                "createdKey", AttributeValue.fromS(p.sessionCreatedAt() + "#" + p.sessionId()),
                KERNEL_OF, AttributeValue.fromS(p.sessionId()));
        return TransactWriteItem.builder().put(Put.builder().tableName(table).item(item).build()).build();
    }
}
