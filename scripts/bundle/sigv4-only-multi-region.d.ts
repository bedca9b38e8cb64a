export { SignatureV4MultiRegion } from "@aws-sdk/signature-v4-multi-region";
