// What the commands are given: the parsed flags (their types come from the declarations in flags.ts), grouped and
// named for the code that uses them, plus what the CLI decides from the terminal (interactive, colour).
import type {FlagValues} from './flags.js';

/** Connection flags shared by every command that talks to a cluster (kubectl's names and meanings). */
export interface ConnectionOptions {
	kubeconfig: FlagValues['kubeconfig'];
	context: FlagValues['context'];
	cluster: FlagValues['cluster'];
	user: FlagValues['user'];
	/** -n: the namespace of the Multus DaemonSet; undefined means discover it across namespaces. */
	namespace: FlagValues['namespace'];
	as: FlagValues['as'];
	asGroup: FlagValues['asGroup'];
	asUid: FlagValues['asUid'];
	/** Per-request timeout in ms (0 = none), from --request-timeout. */
	requestTimeoutMs: FlagValues['requestTimeout'];
}

/** -o of doctor, scan, undo and version (`md` is report's alone: the parser refuses it elsewhere). */
export type OutputFormat = Exclude<FlagValues['output'], 'md'>;
/** -o of report. */
export type ReportFormat = Extract<FlagValues['output'], 'md' | 'json'>;
/** --emit: print the fix as a file (a JSON patch, or the whole ClusterRole) instead of applying it. */
export type EmitFormat = NonNullable<FlagValues['emit']>;
export type DryRun = FlagValues['dryRun'];

/** Several contexts in one run (--all-contexts, --contexts): which, how many at once, how to ask, where --emit writes. */
export interface FleetOptions {
	selection: {all: true} | {patterns: string[]};
	parallel: FlagValues['parallel'];
	/** One question per cluster instead of one for all. */
	confirmEach: FlagValues['confirmEach'];
	/** With --emit: the directory that takes one file per context. */
	emitDir: FlagValues['emitDir'];
}

export interface DoctorOptions {
	connection: ConnectionOptions;
	output: OutputFormat;
	/** Diagnose only, change nothing. */
	check: FlagValues['check'];
	/** Apply without asking. Without a TTY, changes happen only with --yes. */
	yes: FlagValues['yes'];
	dryRun: DryRun;
	restart: FlagValues['restart'];
	force: FlagValues['force'];
	/** Rollout watch timeout in ms (0 = wait forever). */
	timeoutMs: FlagValues['timeout'];
	/** DaemonSet name when given with --daemonset. */
	daemonSet: FlagValues['daemonset'];
	/** How many multus pods to sample for logs, and how many bytes to read from each. */
	logPods: FlagValues['logPods'];
	logBytes: FlagValues['logBytes'];
	/** Print the fix as a file and change nothing (implies a check-only run). */
	emit?: EmitFormat;
	/** Whether the interactive Ink UI runs (a TTY on both ends and text output). */
	interactive: boolean;
	color: boolean;
	/** Set for a fleet run; each context's instance runs without it. */
	fleet?: FleetOptions;
}

export interface ReportOptions {
	connection: ConnectionOptions;
	output: ReportFormat;
	/** --bundle: the .tar.gz to write (instead of printing the report). */
	bundle: FlagValues['bundle'];
	/** Redact tokens, certificates, keys, IP addresses and host names (--no-redact: keep them). */
	redact: FlagValues['redact'];
	daemonSet: FlagValues['daemonset'];
	logPods: FlagValues['logPods'];
	logBytes: FlagValues['logBytes'];
}
