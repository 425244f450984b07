package dev.sluice.adapters.dynamodb;

import software.amazon.awssdk.enhanced.dynamodb.TableSchema;
import software.amazon.awssdk.enhanced.dynamodb.mapper.annotations.DynamoDbBean;
import software.amazon.awssdk.enhanced.dynamodb.mapper.annotations.DynamoDbPartitionKey;

/** A used Idempotency-Key: which request first used it and what that request created. Expires after a day (TTL). */
@DynamoDbBean
public class IdempotencyItem {
    public static final TableSchema<IdempotencyItem> SCHEMA = TableSchema.fromBean(IdempotencyItem.class);

    private String key;
    private String fingerprint;
    private String resultId;
    private Long expiresAt;
    private Integer responseStatus;
    private String responseBody;
    private String claimToken;
    private Long claimedAt;

    @DynamoDbPartitionKey
    public String getKey() { return key; }
    public void setKey(String key) { this.key = key; }
    public String getFingerprint() { return fingerprint; }
    public void setFingerprint(String fingerprint) { this.fingerprint = fingerprint; }
    public String getResultId() { return resultId; }
    public void setResultId(String resultId) { this.resultId = resultId; }
    public Integer getResponseStatus() { return responseStatus; }
    public void setResponseStatus(Integer responseStatus) { this.responseStatus = responseStatus; }
    public String getResponseBody() { return responseBody; }
    public void setResponseBody(String responseBody) { this.responseBody = responseBody; }
    public String getClaimToken() { return claimToken; }
    public void setClaimToken(String claimToken) { this.claimToken = claimToken; }
    public Long getClaimedAt() { return claimedAt; }
    public void setClaimedAt(Long claimedAt) { this.claimedAt = claimedAt; }
    public Long getExpiresAt() { return expiresAt; }
    public void setExpiresAt(Long expiresAt) { this.expiresAt = expiresAt; }
}
