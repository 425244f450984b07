package dev.sluice.local.bench;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/**
 * What EC2 answers when an instant fleet's pool cannot launch, for the fault-injecting proxies of the fleet driver's
 * test and benchmark (the emulator never runs out of capacity): the query-protocol form a request is sent as, and the
 * answers (EC2 API Reference: CreateFleet, CreateFleetError, and the common error response).
 */
public final class CreateFleetFaults {
    private CreateFleetFaults() {
    }

    /** The parameters of an EC2 query-protocol request body. */
    public static Map<String, String> form(String body) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String pair : body.split("&")) {
            int eq = pair.indexOf('=');
            if (eq > 0) {
                out.put(URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8), URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
            }
        }
        return out;
    }

    /** A 200 answer of an instant fleet whose one pool failed with {@code code}: no instance, one {@code errorSet} item. */
    public static String errorSet(Map<String, String> form, String type, String subnet, String lifecycle, String code) {
        return """
                <?xml version="1.0" encoding="UTF-8"?>
                <CreateFleetResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
                    <requestId>%s</requestId>
                    <fleetId>fleet-%s</fleetId>
                    <errorSet>
                        <item>
                            <launchTemplateAndOverrides>
                                <launchTemplateSpecification>
                                    <launchTemplateId>%s</launchTemplateId>
                                    <version>1</version>
                                </launchTemplateSpecification>
                                <overrides>
                                    <instanceType>%s</instanceType>
                                    <subnetId>%s</subnetId>
                                </overrides>
                            </launchTemplateAndOverrides>
                            <lifecycle>%s</lifecycle>
                            <errorCode>%s</errorCode>
                            <errorMessage>%s</errorMessage>
                        </item>
                    </errorSet>
                    <fleetInstanceSet/>
                </CreateFleetResponse>
                """.formatted(UUID.randomUUID(), UUID.randomUUID(), form.get("LaunchTemplateConfigs.1.LaunchTemplateSpecification.LaunchTemplateId"),
                type, subnet, lifecycle, code, message(code, type));
    }

    /** An error answer of the whole call, as EC2's query protocol writes it. */
    public static String errorResponse(String code, String type) {
        return """
                <?xml version="1.0" encoding="UTF-8"?>
                <Response><Errors><Error><Code>%s</Code><Message>%s</Message></Error></Errors><RequestID>%s</RequestID></Response>
                """.formatted(code, message(code, type), UUID.randomUUID());
    }

    static String message(String code, String type) {
        return switch (code) {
            case "InsufficientInstanceCapacity" -> "We currently do not have sufficient " + type
                    + " capacity in the Availability Zone you requested. Our system will be working on provisioning additional capacity.";
            case "SpotMaxPriceTooLow" -> "Your Spot request price is lower than the minimum required Spot request fulfillment price.";
            case "UnauthorizedOperation" -> "You are not authorized to perform this operation.";
            default -> code + " for " + type;
        };
    }
}
