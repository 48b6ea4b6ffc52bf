// Reading the newest bytes of a container log with what the API offers, and judging what a read holds. Pure: the
// kube layer sends the reads this asks for.
//
// The log API has two bounds: tailLines (the last N lines) and limitBytes, which keeps the FIRST bytes of what it
// would return. limitBytes alone returns the start of the log: with 300 KiB of ordinary lines before the forbidden
// ones, a 256 KiB read saw none of them. So the reads ask for the last N lines, bounded by limitBytes, and search
// for the largest N whose lines fit: then the read holds the newest whole lines, as many as the budget takes.

/** What the search knows after some reads. */
export interface NewestLogSearch {
	readonly limitBytes: number;
	/** The line count to ask for next. */
	readonly tailLines: number;
	/** The largest line count known to fit in the budget (0: none yet), and what that read returned. */
	readonly fits: number;
	readonly fitsText: string | undefined;
	/** The smallest line count known not to fit (Infinity: none yet). */
	readonly cut: number;
	readonly reads: number;
	/** The previous read was cut too: the guess from line lengths failed once, so halve instead. */
	readonly cutBefore: boolean;
}

/** A first guess of 128 bytes a line: klog lines with a timestamp are 100-300 bytes. */
const guessedLineBytes = 128;
/** Enough for a binary search over the first guess's range, and a cap whatever the server does. */
const maxReads = 12;
/** A read within this many bytes of the limit may have been cut (a multi-byte character at the cut becomes U+FFFD). */
const cutSlack = 3;

const encoder = new TextEncoder();

function byteLength(text: string): number {
	return encoder.encode(text).length;
}

function lineCount(text: string): number {
	let count = 0;
	for (let index = text.indexOf('\n'); index >= 0; index = text.indexOf('\n', index + 1)) count++;
	return count;
}

/** True when a read of at most `limitBytes` came back full: the server cut it at the limit. */
export function logReadCut(text: string, limitBytes: number): boolean {
	const bytes = byteLength(text);
	return bytes > 0 && bytes >= limitBytes - cutSlack;
}

export function startNewestLogSearch(limitBytes: number): NewestLogSearch {
	return {limitBytes, tailLines: Math.max(1, Math.ceil(limitBytes / guessedLineBytes)), fits: 0, fitsText: undefined, cut: Infinity, reads: 0, cutBefore: false};
}

/**
 * After the read of the last `search.tailLines` lines returned `text`: the text to use (the newest whole lines that
 * fit, or, when not even the last line fits, that line's first bytes), or the next line count to ask for.
 */
export function afterLogRead(search: NewestLogSearch, text: string): {done: true; text: string} | {done: false; search: NewestLogSearch} {
	const {limitBytes, tailLines} = search;
	const bytes = byteLength(text);
	const lines = lineCount(text);
	const cut = logReadCut(text, limitBytes);
	const next = {
		...search,
		reads: search.reads + 1,
		fits: cut ? search.fits : tailLines,
		fitsText: cut ? search.fitsText : text,
		cut: cut ? tailLines : search.cut,
		cutBefore: cut,
	};
	const best = () => ({done: true as const, text: next.fitsText ?? text});
	// Not cut, and fewer lines than asked: that is the whole log. Not cut and half the budget used: good enough.
	if (!cut && (lines < tailLines || bytes * 2 >= limitBytes)) return {done: true, text};
	if (next.reads >= maxReads || next.cut - next.fits <= 1) return best();
	let guess: number;
	if (cut) {
		// The window's first `lines` lines filled the budget: guess the newest lines are as long, unless that failed.
		guess = search.cutBefore ? Math.floor((next.fits + next.cut) / 2) : Math.floor(lines * 0.9);
	} else {
		guess = Math.floor((tailLines * limitBytes * 0.9) / Math.max(1, bytes));
	}
	const tail = Math.min(Math.max(guess, next.fits + 1), next.cut - 1);
	return {done: false, search: {...next, tailLines: tail}};
}

/** What a log read can say: whole lines, or too few bytes to hold even one ("not enough read", never clean). */
export type LogReadJudgement = {enough: true} | {enough: false; reason: string};

/**
 * A read cut at the limit with no line end in it holds not one whole line: its silence about the forbidden error
 * means nothing. (An empty log is whole: it holds no line to judge, and is not cut.)
 */
export function judgeLogRead(text: string, limitBytes: number): LogReadJudgement {
	if (text.includes('\n') || !logReadCut(text, limitBytes)) return {enough: true};
	return {enough: false, reason: `not enough read: ${limitBytes} byte(s) hold no whole log line (raise --log-bytes)`};
}
