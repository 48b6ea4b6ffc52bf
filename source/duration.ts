import {usageError} from './errors.js';

const unitMs: Record<string, number> = {ms: 1, s: 1000, m: 60_000, h: 3_600_000};

/**
 * The longest duration a timer can keep: Node's setTimeout and AbortSignal.timeout take at most 2^31-1 ms (about
 * 596 hours, 24.8 days) and fire at once for anything longer. Longer durations are refused, not clamped: a limit
 * silently shortened is not the one asked for, and 0 already means "no limit".
 */
export const longestDurationMs = 2 ** 31 - 1;

/**
 * Parses a Go-style duration as kubectl takes it ("90s", "5m", "1h30m", "250ms", "0" = no limit) into milliseconds;
 * refuses a negative one and one longer than a timer can keep (longestDurationMs).
 */
export function parseDuration(flag: string, text: string): number {
	const value = text.trim();
	if (value === '0') return 0;
	if (value.startsWith('-')) throw usageError(`invalid --${flag} "${text}": a negative duration`, `give a duration of 0 or more, such as 30s or 5m (0 means no limit)`);
	let ms: number;
	if (/^\d+$/.test(value)) {
		ms = Number(value) * 1000; // kubectl's --request-timeout accepts bare seconds
	} else {
		const parts = [...value.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
		if (parts.length === 0 || parts.map(p => p[0]).join('') !== value) {
			throw usageError(`invalid --${flag} "${text}"`, `use a duration such as 30s, 5m or 1h30m (0 means no limit)`);
		}
		ms = Math.round(parts.reduce((total, [, amount, unit]) => total + Number(amount) * unitMs[unit!]!, 0));
	}
	if (ms > longestDurationMs) {
		throw usageError(
			`invalid --${flag} "${text}": longer than a timer can keep (at most ${formatDuration(longestDurationMs - (longestDurationMs % 1000))})`,
			`give at most 596h, or 0 for no limit`,
		);
	}
	return ms;
}

/** Formats milliseconds the way kubectl prints durations: "5m0s", "42s", "1.5s". */
export function formatDuration(ms: number): string {
	if (ms < 1000) return `${Math.round(ms)}ms`;
	const totalSeconds = ms / 1000;
	const hours = Math.floor(totalSeconds / 3600);
	const minutes = Math.floor((totalSeconds % 3600) / 60);
	const seconds = totalSeconds - hours * 3600 - minutes * 60;
	const secondText = Number.isInteger(seconds) ? `${seconds}s` : `${seconds.toFixed(1)}s`;
	if (hours > 0) return `${hours}h${minutes}m${secondText}`;
	if (minutes > 0) return `${minutes}m${secondText}`;
	return secondText;
}
