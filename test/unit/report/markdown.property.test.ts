// The Markdown writer of `kubectl multus report` for any text the cluster may hold (generated: backtick runs, HTML,
// control and bidi characters, Markdown syntax, mentions): inline text reads back as itself with nothing acting,
// a code span and a fenced block hold it whole (no line of a log can close its fence early), and a whole report
// with every string generated keeps the structure test/helpers/markdown.ts checks.
import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import fc from 'fast-check';
import {terminalSafe} from '../../../source/ansi.js';
import type {ReportDocument} from '../../../source/report/document.js';
import {code, details, fence, longestBacktickRun, text} from '../../../source/report/markdown.js';
import {reportMarkdown} from '../../../source/report/markdown-report.js';
import {checkMarkdown, codeSpanContent, codeSpans, unescapeText} from '../../helpers/markdown.js';
import {reportFixture} from '../../helpers/report-fixture.js';

/** Text as hostile as a cluster's: Markdown and HTML syntax, backtick runs, newlines, control and invisible characters. */
const hostile = fc.oneof(
	fc.string({unit: fc.constantFrom('`', '``', '```', '````', '\n', ' ', '<', '>', '&', '[', ']', '(', ')', '|', '*', '_', '#', '-', '+', '=', '1.', '@', '$', '\\', '~', '!', '\u001b[31m', '\r', '\u0007', '\u202e', '\u200b', '\t', 'a', 'é', '</details>', '<script>', '&amp;', '\u0000', '\u0085')}),
	fc.string({unit: 'grapheme'}),
	fc.string({unit: 'binary'}),
);

const oneLine = (value: string) => terminalSafe(value).replace(/[\t\n]/g, ' ');

describe('text: inline text', () => {
	test('reads back as the text (one line, ends trimmed), and nothing in it acts as Markdown or HTML', () => {
		fc.assert(
			fc.property(hostile, value => {
				const written = text(value);
				assert.equal(unescapeText(written), oneLine(value).trim());
				const line = `- ${written}`;
				const {problems} = checkMarkdown(line);
				assert.deepEqual(problems, [], line);
				assert.doesNotMatch(written, /\n/);
				// Not a list, quote, heading or ordered list where it starts a line.
				assert.doesNotMatch(written, /^([-+=>#*]|\d+[.)])/);
			}),
			{numRuns: 2000},
		);
	});

	test('a mention, an issue reference, HTML and a link are escaped', () => {
		assert.equal(text('@alice #12 <b>x</b> [a](http://x) | $x$'), '\\@alice \\#12 \\<b\\>x\\</b\\> \\[a\\](http://x) \\| \\$x\\$');
		assert.equal(text('1. first'), '1\\. first');
		assert.equal(text('- item'), '\\- item');
	});
});

describe('code: an inline code span', () => {
	test('holds the text whole: delimited by more backticks than it holds, read back exactly (on one line)', () => {
		fc.assert(
			fc.property(hostile, value => {
				const span = code(value);
				const parsed = codeSpans(span);
				assert.ok(!('problem' in parsed), JSON.stringify(span));
				assert.equal(parsed.spans.length, 1, JSON.stringify(span));
				assert.equal(parsed.rest.trim(), '');
				const content = oneLine(value);
				assert.equal(codeSpanContent(span), content === '' ? ' ' : content);
				assert.doesNotMatch(span, /\n/);
			}),
			{numRuns: 2000},
		);
	});
});

describe('fence: a fenced code block', () => {
	test('no line of the content closes it early; the content comes back exactly, control characters shown escaped', () => {
		fc.assert(
			fc.property(hostile, value => {
				const block = fence(value, 'text');
				const {problems, blocks} = checkMarkdown(block);
				assert.deepEqual(problems, [], block);
				assert.equal(blocks.length, 1);
				const expected = terminalSafe(value).replace(/\r/g, '');
				assert.equal(blocks[0]!.lines.join('\n'), expected.endsWith('\n') ? expected.slice(0, -1) : expected);
				assert.ok(blocks[0]!.fence.length > longestBacktickRun(value));
			}),
			{numRuns: 2000},
		);
	});

	test('a log line of backticks as long as a fence stays inside: the fence is longer', () => {
		const block = fence('before\n```\nafter\n````', 'text');
		assert.equal(block, '`````text\nbefore\n```\nafter\n````\n`````\n');
	});

	test('inside <details>, the block is Markdown: blank lines end the HTML block', () => {
		const block = details('pod <x> & "y"', fence('</details>\n<script>', 'text'));
		const {problems, blocks} = checkMarkdown(block);
		assert.deepEqual(problems, []);
		assert.deepEqual(blocks[0]!.lines, ['</details>', '<script>']);
		assert.match(block, /^<details><summary>pod &lt;x&gt; &amp; &quot;y&quot;<\/summary>\n\n/);
	});
});

/** `value` with every string in it replaced by one from `next`. */
function everyString<T>(value: T, next: () => string): T {
	if (typeof value === 'string') return next() as T;
	if (Array.isArray(value)) return value.map(item => everyString(item, next)) as T;
	if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([key, item]) => [key, everyString(item, next)])) as T;
	return value;
}

describe('checkMarkdown itself: the CommonMark reference parser must agree', () => {
	test('what the parser reads differently from the lines is a problem: a link, inline HTML, an HTML block not ours, a block that closed early', () => {
		const problemsOf = (markdown: string) => checkMarkdown(markdown).problems.filter(problem => problem.startsWith('CommonMark'));
		assert.deepEqual(problemsOf('text\n\n```\nin\n```\n'), []);
		assert.match(problemsOf('[a](http://x)\n').join('\n'), /CommonMark reads a link to http:\/\/x/);
		assert.match(problemsOf('a <b>bold</b>\n').join('\n'), /CommonMark reads inline HTML: <b>/);
		assert.match(problemsOf('<script>\n').join('\n'), /CommonMark reads an HTML block that is not ours/);
		// The line checker takes a fence of four as the block's end only when it matches; the parser ends it there too.
		assert.match(problemsOf('````\nin\n`````\nafter\n````\n').join('\n'), /CommonMark reads \d fenced block\(s\)/);
	});
});

describe('reportMarkdown: a whole report', () => {
	test('keeps its structure with every string from the cluster generated: fences closed where meant, <details> balanced, nothing acting', () => {
		fc.assert(
			fc.property(fc.array(hostile, {minLength: 1, maxLength: 50}), strings => {
				let index = 0;
				const document = everyString(reportFixture(), () => strings[index++ % strings.length]!) as ReportDocument;
				// The fields the renderer switches on keep their meaning.
				document.verdict = 'broken';
				for (const finding of document.findings) finding.status = 'fail';
				const markdown = reportMarkdown(document);
				const {problems, blocks} = checkMarkdown(markdown);
				assert.deepEqual(problems, []);
				// Each log excerpt is one block, whole.
				const logBlocks = blocks.filter(block => block.info === 'text');
				assert.equal(logBlocks.length, document.logs!.samples.filter(sample => !sample.error).length);
			}),
			{numRuns: 300},
		);
	});

	test('the fixture renders with its headings, findings and one collapsed excerpt per pod', () => {
		const markdown = reportMarkdown(reportFixture());
		assert.deepEqual(checkMarkdown(markdown).problems, []);
		for (const heading of ['### kubectl multus report', '#### Findings', '#### Codes raised', '#### Warnings', '#### The fix the doctor would make', '#### Not collected', '#### RBAC: bindings and bound roles', '#### DaemonSet (trimmed: no environment values)', '#### ServiceAccount', '#### Logs']) {
			assert.ok(markdown.includes(`\n${heading}\n`) || markdown.startsWith(`${heading}\n`), heading);
		}
		assert.match(markdown, /^- ✖ `MULTUS-RBAC-001` `pods-list-access` \(blocking\): access review: /m);
		assert.match(markdown, /^- ✖ `MULTUS-RULE-001` `rbac-rules` \(blocking\): rules: missing pods \\\[""\\\]: list, watch {2}\\\[MULTUS-RULE-010\\\]$/m);
		assert.match(markdown, /^#### Codes raised\n\n- `MULTUS-RBAC-001` The Multus identity may not list pods at cluster scope: system:serviceaccount:kube-system:multus cannot list pods at cluster scope\n- `MULTUS-BIND-001` /m);
		assert.match(markdown, /^- ! `MULTUS-BIND-004` ClusterRole multus-old does not exist/m);
		assert.match(markdown, /^- Redacted: 2 IP address\(es\), 1 host name\(s\); each is a placeholder such as `\[REDACTED-IP-1\]`/m);
		assert.equal(markdown.match(/^<details><summary>pod /gm)?.length, 1);
	});
});
