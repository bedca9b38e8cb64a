/**
 * Largest AWS answer read. A DynamoDB Query page holds up to 1 MB of item data, and its JSON (type
 * wrappers, quoted names, numbers as strings) is larger than that: the transport's own 1 MiB
 * default would refuse a full backfill page every time. 32 MiB, as the SDK handler had.
 */
export const AWS_MAX_RESPONSE_BYTES = 32 * 1024 * 1024;
