package dev.sluice.adapters.ec2;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class LaunchErrorsTest {

    @ParameterizedTest
    @ValueSource(strings = {"InsufficientInstanceCapacity", "Server.InsufficientInstanceCapacity", "InsufficientCapacity",
            "SpotMaxPriceTooLow", "MaxSpotInstanceCountExceeded", "VcpuLimitExceeded", "InstanceLimitExceeded", "Unsupported",
            "InsufficientFreeAddressesInSubnet", "InvalidSubnetID.NotFound", "InternalError", "NothingLaunched", "Timeout"})
    void anErrorOfTheCandidatesPoolOrPriceMovesToTheNextCandidate(String code) {
        assertThat(LaunchErrors.after(code)).isEqualTo(LaunchErrors.Next.TRY_NEXT);
    }

    @ParameterizedTest
    @ValueSource(strings = {"UnauthorizedOperation", "AuthFailure", "InvalidLaunchTemplateId.NotFound", "InvalidParameterValue",
            "MissingParameter", "IdempotentParameterMismatch", "RequestLimitExceeded", "OptInRequired", "SomethingNew"})
    void anErrorEveryCandidateWouldMeetStopsTheLaunch(String code) {
        assertThat(LaunchErrors.after(code)).isEqualTo(LaunchErrors.Next.STOP);
    }

    @ParameterizedTest
    @ValueSource(strings = {"InsufficientInstanceCapacity", "Server.InsufficientInstanceCapacity", "SpotMaxPriceTooLow", "Unsupported"})
    void theSdkDoesNotRetryACapacityErrorEvenAsA500(String code) {
        assertThat(LaunchErrors.sdkShouldRetry(code, 500)).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"RequestLimitExceeded", "InternalError"})
    void theSdkRetriesThrottlingAndServerErrorsOnce(String code) {
        assertThat(LaunchErrors.sdkShouldRetry(code, code.equals("InternalError") ? 500 : 503)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"UnauthorizedOperation", "InvalidParameterValue"})
    void theSdkDoesNotRetryAClientError(String code) {
        assertThat(LaunchErrors.sdkShouldRetry(code, 400)).isFalse();
    }
}
