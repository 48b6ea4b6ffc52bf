import {ExitCode} from './exit-codes.js';

/** Every failure the tool reports has one of these kinds; each kind maps to exactly one exit code. */
export type ErrorKind =
	| 'Usage'
	| 'Config'
	| 'Unreachable'
	| 'Unauthorized'
	| 'NotKubernetes'
	| 'Forbidden'
	| 'NotFound'
	| 'Conflict'
	| 'Gone'
	| 'Timeout'
	| 'Cancelled'
	| 'RolloutFailed'
	| 'Invalid'
	| 'LimitExceeded'
	| 'Internal';

const exitCodeByKind: Record<ErrorKind, ExitCode> = {
	Usage: ExitCode.Usage,
	Config: ExitCode.Unreachable,
	Unreachable: ExitCode.Unreachable,
	Unauthorized: ExitCode.Unreachable,
	NotKubernetes: ExitCode.Unreachable,
	Forbidden: ExitCode.Forbidden,
	NotFound: ExitCode.ProblemFound,
	Conflict: ExitCode.ProblemFound,
	Gone: ExitCode.Unreachable,
	Timeout: ExitCode.Unreachable,
	Cancelled: ExitCode.ProblemFound,
	RolloutFailed: ExitCode.RolloutFailed,
	Invalid: ExitCode.ProblemFound,
	LimitExceeded: ExitCode.LimitExceeded,
	Internal: ExitCode.ProblemFound,
};

/** A failure as a value: what went wrong (message), what to do (hint), its kind, and the finding it is (a code). */
export class MultusError extends Error {
	readonly kind: ErrorKind;
	readonly hint: string | undefined;
	readonly status: number | undefined;
	/** The stable code of the finding this failure is (source/multus/findings.ts), when it is one. */
	readonly finding: string | undefined;

	constructor(kind: ErrorKind, message: string, options: {hint?: string; status?: number; cause?: unknown; finding?: string} = {}) {
		super(message, {cause: options.cause});
		this.name = 'MultusError';
		this.kind = kind;
		this.hint = options.hint;
		this.status = options.status;
		this.finding = options.finding;
	}

	get exitCode(): ExitCode {
		return exitCodeByKind[this.kind];
	}
}

export function exitCodeFor(kind: ErrorKind): ExitCode {
	return exitCodeByKind[kind];
}

export function usageError(message: string, hint?: string, finding?: string): MultusError {
	return new MultusError('Usage', message, {...(hint === undefined ? {} : {hint}), ...(finding === undefined ? {} : {finding})});
}

/** Formats an error for a terminal: the problem, then the fix. */
export function formatError(error: unknown): string {
	if (error instanceof MultusError) {
		return error.hint ? `error: ${error.message}\n  fix: ${error.hint}` : `error: ${error.message}`;
	}
	const message = error instanceof Error ? error.message : String(error);
	return `error: ${message}`;
}
