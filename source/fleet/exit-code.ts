// The fleet's exit code: the most serious of its contexts' codes, so that CI can gate on one number. The order is
// documented in the README next to the exit-code table; a new exit code does not type-check until it is placed.
import {ExitCode} from '../exit-codes.js';

/**
 * From most to least serious: a rollout that failed (a cluster this run left mid-change: it needs a person now),
 * a usage error (a cluster the run as asked does not fit: Multus installed more than once, a namespace it lacks;
 * a wrong flag is refused before any context is tried, so it never reaches this fold), a cluster that cannot be
 * reached (nothing is known of it), a permission the fix lacks, a problem found and not fixed, a fix not proven,
 * healthy. scan's "nothing read" and "limit passed" are never a doctor's codes; they sit with 1.
 */
export const exitCodeSeverity: Record<ExitCode, number> = {
	[ExitCode.RolloutFailed]: 6,
	[ExitCode.Usage]: 5,
	[ExitCode.Unreachable]: 4,
	[ExitCode.Forbidden]: 3,
	[ExitCode.ProblemFound]: 2,
	[ExitCode.NothingRead]: 2,
	[ExitCode.LimitExceeded]: 2,
	[ExitCode.Unproven]: 1,
	[ExitCode.Ok]: 0,
};

/** The codes, most serious first (as the README lists them). */
export const exitCodeOrder: ExitCode[] = (Object.keys(exitCodeSeverity).map(Number) as ExitCode[])
	.filter(code => code !== ExitCode.NothingRead && code !== ExitCode.LimitExceeded)
	.sort((a, b) => exitCodeSeverity[b] - exitCodeSeverity[a]);

function severityOf(code: number): number {
	// An exit code outside the table (a quit: 130) outranks every one in it.
	return code in exitCodeSeverity ? exitCodeSeverity[code as ExitCode] : Number.POSITIVE_INFINITY;
}

/** The most serious of `codes`; 0 for none. */
export function foldExitCodes(codes: readonly number[]): number {
	return codes.reduce((worst, code) => (severityOf(code) > severityOf(worst) ? code : worst), ExitCode.Ok as number);
}
