/** The variable (set by vitest.config.ts for the whole run) naming the run's IAM audit dir. */
export const IAM_AUDIT_DIR_VARIABLE = "TP_IAM_AUDIT_DIR";
