import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import {cellText, fitCell, fitContext, fleetColumnWidths, fleetHeading, fleetTableLines, type FleetRow} from '../../../source/fleet/present.js';
import {terminalSafe, textWidth} from '../../../source/ansi.js';

const row = (context: string, reason: string): FleetRow => ({
	cells: {context, server: 'https://127.0.0.1:32746', multus: 'kube-system/kube-multus-ds thick snapshot-thick', verdict: 'awaiting answer', missing: 'pods [""]: list, watch', owner: 'Helm', took: '12.5s', exit: '1', reason},
	verdictStyle: 'bad',
	finished: true,
});
const width = (line: Array<{text: string}>) => line.map(segment => segment.text).join('').length;

describe('fleet table layout', () => {
	test('every line fits the width it is laid out in, from 100 to 200 columns (below that the view cuts each line); the reason shows when there is room', () => {
		const rows = [row('kwok-fleet-a', 'Problem found (--check: nothing changed). Fix: pods [""]: list, watch on ClusterRole multus'), row('a-very-long-context-name-for-the-edge-site-42', 'x')];
		for (let total = 100; total <= 200; total += 7) {
			for (const line of fleetTableLines(rows, total)) assert.ok(width(line) <= total, `${total}: ${line.map(segment => segment.text).join('')}`);
		}
		assert.equal(fleetColumnWidths(rows, 100).reason, undefined);
		assert.ok((fleetColumnWidths(rows, 200).reason ?? 0) >= 30);
	});

	test('a cell too long for its column is cut with an ellipsis, the others padded', () => {
		const [heading, first] = fleetTableLines([row('c', 'r')], 110).map(line => line.map(segment => segment.text).join(''));
		assert.match(heading!, /^CONTEXT  SERVER/);
		assert.match(first!, /kube-system\/kube-…  awaiting answer  pods/);
	});
});

test('the heading counts in words that fit the number: "1 context", "5 contexts, all at once", "20 contexts, at most 8 at once"', () => {
	assert.equal(fleetHeading(1, 20), '1 context');
	assert.equal(fleetHeading(5, 20), '5 contexts, all at once');
	assert.equal(fleetHeading(5, 5), '5 contexts, all at once');
	assert.equal(fleetHeading(20, 8), '20 contexts, at most 8 at once');
});

describe('fleet table at common widths, and its cells as drawn', () => {
	const eks = (name: string) => `arn:aws:eks:eu-west-1:123456789012:cluster/${name}`;
	const live = (context: string, verdict: string, exit: string, reason = ''): FleetRow => ({
		cells: {context, server: '0A1B2C3D4E5F.gr7.eu-west-1.eks.amazonaws.com', multus: 'kube-system/kube-multus-ds thick v4.1.0', verdict, missing: 'pods [""]: list, watch', owner: 'HelmChart rke2-multus', took: '12.5s', exit, reason},
		verdictStyle: 'warn',
		finished: exit !== '',
	});
	const text = (line: Array<{text: string}>) => line.map(segment => segment.text).join('');
	const fleet = [live(eks('prod-a'), 'awaiting answer', ''), live(eks('prod-b'), 'managed elsewhere', '1'), live('gke_acme-platform-prod_europe-west1_prod-a', 'healthy', '0')];

	for (const total of [80, 60, 40]) {
		test(`at ${total} columns the verdict and the exit code stay whole and each context keeps its distinguishing end`, () => {
			const [heading, ...lines] = fleetTableLines(fleet, total).map(text);
			assert.match(heading!, /^CONTEXT +VERDICT +.*EXIT$/);
			for (const line of [heading!, ...lines]) assert.ok(textWidth(line) <= total, `${total}: ${line}`);
			assert.match(lines[0]!, /^arn:aws:\S*…\S*prod-a +awaiting answer +/);
			assert.match(lines[1]!, /^arn:aws:\S*…\S*prod-b +managed elsewhere .* 1$/);
			assert.match(lines[2]!, /^gke_acme\S*…\S*prod-a +healthy .* 0$/);
		});
	}

	test('columns are left out whole, server, owner, multus, missing, took in turn, before the context and verdict squeeze', () => {
		const headings = (total: number) => text(fleetTableLines(fleet, total)[0]!).split(/ +/);
		assert.deepEqual(headings(120), ['CONTEXT', 'SERVER', 'MULTUS', 'VERDICT', 'MISSING', 'OWNER', 'TOOK', 'EXIT']);
		assert.deepEqual(headings(110), ['CONTEXT', 'MULTUS', 'VERDICT', 'MISSING', 'OWNER', 'TOOK', 'EXIT']);
		assert.deepEqual(headings(100), ['CONTEXT', 'MULTUS', 'VERDICT', 'MISSING', 'TOOK', 'EXIT']);
		assert.deepEqual(headings(80), ['CONTEXT', 'VERDICT', 'MISSING', 'TOOK', 'EXIT']);
		assert.deepEqual(headings(60), ['CONTEXT', 'VERDICT', 'TOOK', 'EXIT']);
		assert.deepEqual(headings(40), ['CONTEXT', 'VERDICT', 'EXIT']);
	});

	test('a context name is cut in its middle, at a word: arn:aws:eks:…cluster/prod-a', () => {
		assert.equal(fitContext(eks('prod-a'), 27), 'arn:aws:eks:…cluster/prod-a');
		assert.equal(fitContext('short', 27), 'short');
		assert.ok(textWidth(fitContext('gke_acme-platform-prod_europe-west1_prod-a', 20)) <= 20);
		assert.match(fitContext('gke_acme-platform-prod_europe-west1_prod-a', 20), /^gke_\S*…\S*prod-a$/);
	});

	test('cells are made safe, then measured and cut by display width on whole characters: tabs, newlines, wide characters, emoji, control characters', () => {
		const rows = [
			live('plain', 'healthy', '0', 'ok'),
			live('tab\there', 'fixed', '0', 'line one\nline two'),
			live('生产集群-北京', 'broken', '1', 'x'),
			live('🚀'.repeat(20), 'healthy', '0', 'y'),
			live('esc\u001B[2Jape', 'healthy', '0', 'bell\u0007'),
		];
		for (const total of [220, 160, 80, 60]) {
			const lines = fleetTableLines(rows, total);
			const starts = lines.map(line => textWidth(text(line.slice(0, line.findIndex(segment => /VERDICT|healthy|fixed|broken/.test(segment.text))))));
			assert.equal(new Set(starts).size, 1, `${total}: the verdict column starts at one column in every row: ${starts.join(', ')}\n${lines.map(text).join('\n')}`);
			for (const line of lines) {
				const drawn = text(line);
				assert.ok(textWidth(drawn) <= total, `${total}: ${drawn}`);
				assert.doesNotMatch(drawn, /\p{Cs}/u, `${total}: no half of a surrogate pair`);
				assert.doesNotMatch(drawn, /[\t\n\u0000-\u001F]/, `${total}: ${JSON.stringify(drawn)}`);
				assert.equal(terminalSafe(drawn), drawn, 'already as a terminal is given it');
			}
			assert.match(text(lines[2]!), /^tab here /);
			assert.match(text(lines[4]!), /^🚀+…🚀+ /u);
			assert.match(text(lines[5]!), /^esc\\x1b\[2Jape /);
		}
		assert.match(text(fleetTableLines(rows, 220)[2]!), /line one line two$/);
		assert.equal(fitCell('🚀🚀🚀', 4), '🚀…');
		assert.equal(cellText('a\tb\r\nc\u001B'), 'a b c\\x1b');
	});
});
