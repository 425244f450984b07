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

    static List<TransactWriteItem> puts(String table, Session s) {
        List<TransactWriteItem> out = new ArrayList<>();
        List<Kernel> kernels = s.kernels();
        for (int i = 1; i < kernels.size(); i++) {
            if (kernels.get(i).released()) {
                continue;
            }
            Map<String, AttributeValue> item = Map.of(
                    "id", AttributeValue.fromS(id(s.id(), i)),
                    "hostingAgent", AttributeValue.fromS(kernels.get(i).agentId()),
                    "createdKey", AttributeValue.fromS(s.createdAt() + "#" + s.id()),
                    KERNEL_OF, AttributeValue.fromS(s.id()));
            out.add(TransactWriteItem.builder().put(Put.builder().tableName(table).item(item).build()).build());
        }
        return out;
    }

    /** Deletes of the pointers of the kernels (index >= 1) being released now. */
    static List<TransactWriteItem> deletes(String table, Session before) {
        List<TransactWriteItem> out = new ArrayList<>();
        List<Kernel> kernels = before.kernels();
        for (int i = 1; i < kernels.size(); i++) {
            if (!kernels.get(i).released()) {
                out.add(TransactWriteItem.builder().delete(Delete.builder().tableName(table)
                        .key(Map.of("id", AttributeValue.fromS(id(before.id(), i)))).build()).build());
            }
        }
        return out;
    }
}
