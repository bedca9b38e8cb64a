/**
 * The AWS region of a `--aws` run, found as the AWS SDK for JavaScript finds it, so every client
 * of the run (the SDK's Secrets Manager and SQS clients, the service's own DynamoDB, SQS and
 * EventBridge clients, which read `AWS_REGION` as a Lambda sets it) calls the same region.
 */
import { getProfileName, loadConfig, NODE_REGION_CONFIG_FILE_OPTIONS, NODE_REGION_CONFIG_OPTIONS } from "@smithy/core/config";
import { UsageError } from "../cli-args.ts";

/**
 * Resolves the region in the SDK's documented order (`AWS_REGION`; the `region` of the profile
 * `AWS_PROFILE` names, default `default`, in ~/.aws/credentials or ~/.aws/config, the credentials
 * file first as the SDK reads them (`AWS_SHARED_CREDENTIALS_FILE`, `AWS_CONFIG_FILE`); on EC2 the
 * instance's) and sets `AWS_REGION` to it for the rest of the run. None: a UsageError naming
 * `AWS_REGION` and the profile, and saying so when only `AWS_DEFAULT_REGION` (the AWS CLI's
 * variable, which the SDK does not read) is set.
 *
 * @example
 * ```ts
 * if (values.aws === true) await useAwsRegion(); // process.env.AWS_REGION is set from here on
 * ```
 */
export async function useAwsRegion(): Promise<string> {
  const env = process.env;
  let region: string | undefined;
  try {
    region = await loadConfig(NODE_REGION_CONFIG_OPTIONS, NODE_REGION_CONFIG_FILE_OPTIONS)();
  } catch (error) {
    // "Region is missing" is said below in the operator's terms; anything else (a profile the
    // SDK cannot read) is said as it is.
    if (!(error instanceof Error && error.message === "Region is missing")) throw new UsageError(`AWS region: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!region) {
    const defaultRegion = env.AWS_DEFAULT_REGION ? "; AWS_DEFAULT_REGION is set, but the AWS SDK for JavaScript does not read it (the AWS CLI does)" : "";
    throw new UsageError(`no AWS region: set AWS_REGION, or a region in AWS profile "${getProfileName({})}" (AWS_CONFIG_FILE or ~/.aws/config, AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials)${defaultRegion}`);
  }
  env.AWS_REGION = region;
  return region;
}
