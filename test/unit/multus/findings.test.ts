import assert from 'node:assert/strict';
import {readFileSync} from 'node:fs';
import {describe, test} from 'node:test';
import {allFindings, finding, findingAreas, findingCodePattern, findingPage, findingsDocument, findingTitle, type FindingInfo} from '../../../source/multus/findings.js';

const documentText = readFileSync(new URL(`../../../${findingsDocument}`, import.meta.url), 'utf8');

interface Page {
	code: string;
	title: string | undefined;
	area: string | undefined;
	body: string;
}

/** The pages of docs/findings.md: a `### CODE` heading, then the title in bold, under an area's `## heading`. */
function pagesOf(markdown: string): Page[] {
	const pages: Page[] = [];
	let area: string | undefined;
	let page: Page | undefined;
	for (const line of markdown.split('\n')) {
		const areaHeading = /^## (.+)$/.exec(line);
		const pageHeading = /^### (.+)$/.exec(line);
		if (areaHeading) {
			area = areaHeading[1];
			page = undefined;
		} else if (pageHeading) {
			page = {code: pageHeading[1]!.trim(), title: undefined, area, body: ''};
			pages.push(page);
		} else if (page) {
			if (page.title === undefined && line.trim() !== '') page.title = /^\*\*(.+)\*\*$/.exec(line)?.[1] ?? `(no title: ${line})`;
			else page.body += `${line}\n`;
		}
	}
	return pages;
}

/** The index table's rows: `| [CODE](#anchor) | title |`. */
function indexOf(markdown: string): Array<{code: string; anchor: string; title: string}> {
	return [...markdown.matchAll(/^\| \[(MULTUS-[^\]]+)\]\(#([^)]+)\) \| (.+) \|$/gm)].map(match => ({code: match[1]!, anchor: match[2]!, title: match[3]!}));
}

/** What every page says, in this order. */
const parts = ['**What it means.**', '**Why it happens.**', '**Fix by hand.**', '**What the doctor does.**'];

/** Everything that does not agree between the registry and the document; empty when they agree both ways. */
function drift(registry: readonly FindingInfo[], markdown: string): string[] {
	const problems: string[] = [];
	const pages = pagesOf(markdown);
	const byCode = new Map(pages.map(page => [page.code, page]));
	const known = new Set(registry.map(info => info.code));
	for (const info of registry) {
		const page = byCode.get(info.code);
		if (!page) problems.push(`${info.code} has no page`);
		else if (page.title !== info.title) problems.push(`${info.code}: the page's title is "${page.title}", the code's is "${info.title}"`);
		else if (page.area !== findingAreas[info.code.split('-')[1] as keyof typeof findingAreas]) problems.push(`${info.code} is under "${page.area}", not its area's heading`);
		else {
			const at = parts.map(part => page.body.indexOf(`\n${part}`));
			if (at.some(index => index < 0) || at.some((index, i) => i > 0 && index < at[i - 1]!)) problems.push(`${info.code}'s page does not say, in order: ${parts.join(' ')}`);
		}
	}
	for (const page of pages) if (!known.has(page.code)) problems.push(`the page ${page.code} is no finding's code`);
	if (pages.length !== new Set(pages.map(page => page.code)).size) problems.push('a code has two pages');
	const index = indexOf(markdown);
	const indexed = new Map(index.map(row => [row.code, row]));
	for (const info of registry) {
		const row = indexed.get(info.code);
		if (!row) problems.push(`${info.code} is not in the index`);
		else if (row.title !== info.title || `${findingsDocument}#${row.anchor}` !== findingPage(info.code)) problems.push(`${info.code}: its index row does not match`);
	}
	for (const row of index) if (!known.has(row.code)) problems.push(`the index lists ${row.code}, which is no finding's code`);
	return problems;
}

describe('finding codes', () => {
	test('are well-formed and unique, and so are their titles: one line, no Markdown in them', () => {
		const codes = allFindings.map(info => info.code);
		for (const code of codes) assert.match(code, findingCodePattern);
		assert.equal(new Set(codes).size, codes.length, 'a code is used twice');
		const titles = allFindings.map(info => info.title);
		assert.equal(new Set(titles).size, titles.length, 'a title is used twice');
		for (const title of titles) assert.match(title, /^[^\n*_`<>[\]|]+$/, title);
	});

	test('are numbered within their area, in the order of the areas', () => {
		const areas = Object.keys(findingAreas);
		const order = allFindings.map(info => {
			const [, area, number] = info.code.split('-');
			return [areas.indexOf(area!), Number(number)] as const;
		});
		for (const [index, [area, number]] of order.entries()) {
			assert.ok(area >= 0, allFindings[index]!.code);
			if (index === 0) continue;
			const [previousArea, previousNumber] = order[index - 1]!;
			assert.ok(area > previousArea || (area === previousArea && number > previousNumber), `${allFindings[index]!.code} after ${allFindings[index - 1]!.code}`);
		}
	});

	test('the page of a code is its lower-case anchor in docs/findings.md, and a code names its title', () => {
		assert.equal(findingPage(finding.podsListDenied.code), 'docs/findings.md#multus-rbac-001');
		assert.equal(findingTitle('MULTUS-RBAC-001'), finding.podsListDenied.title);
		assert.equal(findingTitle('MULTUS-RBAC-999'), undefined);
	});
});

describe('docs/findings.md and the codes agree both ways', () => {
	test('every code has a page with its title, under its area, saying what it means, why, the fix by hand and the doctor\'s; in the index; every page and row is a code', () => {
		assert.deepEqual(drift(allFindings, documentText), []);
	});

	test('the check fails when a page is missing, a title drifts, or a page names no code', () => {
		const [first, second] = allFindings;
		const withoutPage = documentText.replace(new RegExp(`^### ${first!.code}\\n`, 'm'), '');
		assert.deepEqual(drift(allFindings, withoutPage), [`${first!.code} has no page`]);
		const retitled = documentText.replace(`**${second!.title}**`, '**Something else**');
		assert.deepEqual(drift(allFindings, retitled), [`${second!.code}: the page's title is "Something else", the code's is "${second!.title}"`]);
		const withoutWhy = documentText.replace(new RegExp(`(### ${second!.code}\\n[\\s\\S]*?)\\*\\*Why it happens\\.\\*\\*`), '$1Why:');
		assert.deepEqual(drift(allFindings, withoutWhy), [`${second!.code}'s page does not say, in order: ${parts.join(' ')}`]);
		const extra = `${documentText}\n### MULTUS-LOG-999\n\n**Gone**\n`;
		assert.deepEqual(drift(allFindings, extra), ['the page MULTUS-LOG-999 is no finding\'s code']);
		const unindexed = documentText.replace(new RegExp(`^\\| \\[${first!.code}\\].*\\n`, 'm'), '');
		assert.deepEqual(drift(allFindings, unindexed), [`${first!.code} is not in the index`]);
		assert.deepEqual(drift([...allFindings, {code: 'MULTUS-LOG-999', title: 'New'}], documentText), ['MULTUS-LOG-999 has no page', 'MULTUS-LOG-999 is not in the index']);
	});
});
