package dev.sluice.functions;

import com.amazonaws.services.lambda.runtime.RequestHandler;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;

/** What a Lambda handler class takes, as the Lambda runtime reads it (used by priming and by the local hosts). */
public final class HandlerTypes {
    private HandlerTypes() {
    }

    /** The {@code I} of the handler's {@code RequestHandler<I, O>}, looked up through its superclasses. */
    public static Class<?> eventType(Class<?> handlerClass) {
        for (Class<?> c = handlerClass; c != null; c = c.getSuperclass()) {
            for (Type t : c.getGenericInterfaces()) {
                if (t instanceof ParameterizedType p && p.getRawType() == RequestHandler.class) {
                    Type arg = p.getActualTypeArguments()[0];
                    return arg instanceof ParameterizedType pa ? (Class<?>) pa.getRawType() : (Class<?>) arg;
                }
            }
        }
        throw new IllegalStateException(handlerClass + " does not implement RequestHandler");
    }
}
