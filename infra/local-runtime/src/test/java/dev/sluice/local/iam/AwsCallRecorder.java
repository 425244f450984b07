package dev.sluice.local.iam;

import dev.sluice.adapters.json.Json;
import dev.sluice.local.FunctionHost;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import software.amazon.awssdk.auth.signer.AwsSignerExecutionAttribute;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.interceptor.SdkExecutionAttribute;

/**
 * Records every AWS call a function makes while the emulator tests run, for the IAM contract ({@link IamContract}).
 * A global interceptor of the SDK (listed in {@code software/amazon/awssdk/global/handlers/execution.interceptors} of
 * the test classpath only), so it sees every client and presigner the functions build without any change to them.
 * Only calls made inside an invocation count ({@link FunctionHost#currentFunction()}); the tests' own calls do not.
 *
 * <p>The recording ({@link #file()}) is one JSON line describing the deployed stack ({@link #start}) and then one line
 * per distinct call ({@link AwsCall#sameAs()}).
 */
public final class AwsCallRecorder implements ExecutionInterceptor {
    private static final Set<String> SEEN = ConcurrentHashMap.newKeySet();
    private static volatile boolean recording;
    /** The functions of the stack under test; another stack deployed beside it (SamDeployIT's) is not its contract. */
    private static volatile Set<String> functions = Set.of();

    /** The recording: {@code -Dsluice.iam.calls=FILE}, or target/aws-calls.jsonl of the module. */
    public static Path file() {
        return Path.of(System.getProperty("sluice.iam.calls", "target/aws-calls.jsonl")).toAbsolutePath();
    }

    /** Starts a new recording for a freshly deployed stack: its description first, calls after. */
    public static synchronized void start(StackFacts stack) {
        try {
            Files.createDirectories(file().getParent());
            Files.writeString(file(), Json.write(Map.of("stack", stack.toJson())) + "\n", StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        SEEN.clear();
        functions = stack.resources().values().stream().filter(r -> r.type().equals("AWS::Lambda::Function"))
                .map(StackFacts.Resource::physicalId).collect(java.util.stream.Collectors.toUnmodifiableSet());
        recording = true;
    }

    @Override
    public void beforeExecution(Context.BeforeExecution context, ExecutionAttributes attributes) {
        if (!recording) {
            return;
        }
        Optional<String> function = FunctionHost.currentFunction();
        if (function.isEmpty() || !functions.contains(function.get())) {
            return;
        }
        String operation = attributes.getAttribute(SdkExecutionAttribute.OPERATION_NAME);
        String service = iamPrefix(context.request().getClass().getPackageName());
        boolean presigned = attributes.getAttribute(AwsSignerExecutionAttribute.PRESIGNER_EXPIRATION) != null;
        for (RequestResources.Target t : RequestResources.of(context.request())) {
            record(new AwsCall(function.get(), service, operation, t.item(), t.resource(), presigned));
        }
    }

    private static void record(AwsCall call) {
        if (!SEEN.add(call.sameAs())) {
            return;
        }
        synchronized (AwsCallRecorder.class) {
            try {
                Files.writeString(file(), Json.write(call.toJson()) + "\n", StandardCharsets.UTF_8, StandardOpenOption.APPEND);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /** The IAM prefix of the service whose model package this is ({@code software.amazon.awssdk.services.X.model}). */
    static String iamPrefix(String modelPackage) {
        String name = modelPackage.replaceFirst("^software\\.amazon\\.awssdk\\.services\\.", "").replaceFirst("\\.model$", "");
        return switch (name) {
            case "sfn" -> "states";
            case "eventbridge" -> "events";
            case "cognitoidentityprovider" -> "cognito-idp";
            default -> name;
        };
    }
}
