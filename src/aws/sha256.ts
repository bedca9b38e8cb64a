/**
 * SHA-256 and HMAC-SHA256 for the AWS SDK clients' request signing (the clients' `sha256`
 * option), on node:crypto like the SDK's own, but with the HMAC keys of SigV4 prepared once.
 *
 * Why: every signed request computes an HMAC with the day's derived signing key, which the SDK
 * hands over as bytes, and node:crypto turns a byte key into a key object on every `createHmac`
 * (about 13 µs each on Node 24; 2.6 µs with a prepared KeyObject, 2.7 µs with a string key). The
 * backfill signs about nine requests per tenant.
 */
import { createHash, createHmac, createSecretKey, type Hash, type Hmac, type KeyObject } from "node:crypto";

/** What the SDK passes as data or key (its `SourceData`). */
type SourceData = string | ArrayBuffer | ArrayBufferView;

/** Prepared byte keys at most: SigV4 uses one signing key per day, region and service. */
const MAX_PREPARED_KEYS = 16;

/**
 * Byte keys prepared as KeyObjects, found by the SHA-256 of the key: the map holds no key bytes in
 * the JS heap (a KeyObject keeps its material in native memory). The SDK keeps the same signing
 * keys in its own cache for the day.
 */
const preparedKeys = new Map<string, KeyObject>();

function bytesOf(data: ArrayBuffer | ArrayBufferView): Buffer {
  return ArrayBuffer.isView(data) ? Buffer.from(data.buffer, data.byteOffset, data.byteLength) : Buffer.from(data);
}

/** The key as node:crypto takes it cheapest: a string as it is, bytes as a prepared KeyObject. */
function hmacKey(secret: SourceData): string | Buffer | KeyObject {
  if (typeof secret === "string") return secret;
  const bytes = bytesOf(secret);
  if (bytes.byteLength === 0) return bytes;
  const id = createHash("sha256").update(bytes).digest("base64");
  let key = preparedKeys.get(id);
  if (key === undefined) {
    // A new day's keys replace the old ones; clearing all is simplest and happens about daily.
    if (preparedKeys.size >= MAX_PREPARED_KEYS) preparedKeys.clear();
    key = createSecretKey(bytes);
    preparedKeys.set(id, key);
  }
  return key;
}

/**
 * A SHA-256 (or, given a secret, HMAC-SHA256) checksum in the SDK's `Checksum` shape, with the
 * same results as the SDK's node:crypto one: `digest` of a plain hash may be called again after
 * more `update`s (it digests a copy); an HMAC is finished by its `digest`.
 *
 * @example
 * ```ts
 * const dynamodb = new DynamoDBClient({ sha256: PreparedKeySha256 });
 * ```
 */
export class PreparedKeySha256 {
  readonly digestLength = 32;
  readonly #key: string | Buffer | KeyObject | undefined;
  #hash: Hash | Hmac;
  #finished = false;

  constructor(secret?: SourceData) {
    // As the SDK's: no secret or an empty string is a plain hash.
    this.#key = secret === undefined || secret === "" ? undefined : hmacKey(secret);
    this.#hash = this.#create();
  }

  update(data: SourceData): void {
    if (this.#finished) throw new Error("Attempted to update an already finished hash.");
    if (typeof data === "string") this.#hash.update(data, "utf8");
    else this.#hash.update(ArrayBuffer.isView(data) ? (data as Uint8Array) : new Uint8Array(data));
  }

  async digest(): Promise<Uint8Array> {
    let out: Buffer;
    if (this.#key === undefined) out = (this.#hash as Hash).copy().digest();
    else {
      this.#finished = true;
      out = this.#hash.digest();
    }
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  }

  reset(): void {
    this.#hash = this.#create();
    this.#finished = false;
  }

  #create(): Hash | Hmac {
    return this.#key === undefined ? createHash("sha256") : createHmac("sha256", this.#key);
  }
}
