import { describe, expect, it } from "vitest";
import { stepErrorView } from "../../../src/outcomes/step-error-view.ts";
import type { StepError } from "../../../src/outcomes/types.ts";

const error: StepError = { provider: "sls", code: "InternalServerError", message: "boom", httpStatus: 500, errorClass: "transient" };

describe("stepErrorView (status route and CLI)", () => {
  it("shows a SUCCEEDED or DELETED step's error as previousError only", () => {
    expect(stepErrorView({ status: "SUCCEEDED", lastError: error })).toEqual({ previousError: error });
    expect(stepErrorView({ status: "DELETED", lastError: error })).toEqual({ previousError: error });
  });

  it("shows every other step's error as lastError", () => {
    for (const status of ["PENDING", "IN_PROGRESS", "FAILED_RETRYABLE", "FAILED_PERMANENT", "CONFLICT"] as const) {
      expect(stepErrorView({ status, lastError: error })).toEqual({ lastError: error });
    }
  });
});
