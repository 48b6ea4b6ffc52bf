/** Connection flags shared by every command that talks to a cluster (kubectl's names and meanings). */
export interface ConnectionOptions {
	kubeconfig: string | undefined;
	context: string | undefined;
	cluster: string | undefined;
	user: string | undefined;
	/** -n: the namespace of the Multus DaemonSet; undefined means discover it across namespaces. */
	namespace: string | undefined;
	as: string | undefined;
	asGroups: string[];
	asUid: string | undefined;
	/** Per-request timeout in ms (0 = none), from --request-timeout. */
	requestTimeoutMs: number;
}

export type OutputFormat = 'text' | 'json' | 'yaml';
/** --emit: print the fix as a file (a JSON patch, or the whole ClusterRole) instead of applying it. */
export type EmitFormat = 'patch' | 'manifest';
export type DryRun = 'none' | 'client' | 'server';

export interface DoctorOptions {
	connection: ConnectionOptions;
	output: OutputFormat;
	/** Diagnose only, change nothing. */
	check: boolean;
	/** Apply without asking. Without a TTY, changes happen only with --yes. */
	yes: boolean;
	dryRun: DryRun;
	restart: boolean;
	force: boolean;
	/** Rollout watch timeout in ms (0 = wait forever). */
	timeoutMs: number;
	/** DaemonSet name when given with --daemonset. */
	daemonSet: string | undefined;
	/** How many multus pods to sample for logs, and how many bytes to read from each. */
	logPods: number;
	logBytes: number;
	/** Print the fix as a file and change nothing (implies a check-only run). */
	emit?: EmitFormat;
	/** Whether the interactive Ink UI runs (a TTY on both ends and text output). */
	interactive: boolean;
	color: boolean;
}
