/** The documented exit codes (README "Exit codes"). One place; everything else refers to these names. */
export const ExitCode = {
	/** Healthy, or fixed and verified. */
	Ok: 0,
	/** A problem was found and not fixed (check mode, declined, dry run, managed elsewhere), or scan found lines. */
	ProblemFound: 1,
	/** Bad flags, arguments or input. */
	Usage: 2,
	/** Cannot reach or talk to the cluster (kubeconfig, network, credentials, not Kubernetes). */
	Unreachable: 3,
	/** The caller lacks a permission the tool needs. */
	Forbidden: 4,
	/** The rollout failed or timed out. */
	RolloutFailed: 5,
	/** scan: nothing was read (the input is empty), so nothing can be said about the log. */
	NothingRead: 6,
	/** Patched (and restarted), but the daemons' own output could not prove the fix: logs unreadable, silent, or still starting. */
	Unproven: 7,
	/** scan: the input passed a bound on what is read (decompressed bytes, entries, depth, compression ratio). */
	LimitExceeded: 8,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
