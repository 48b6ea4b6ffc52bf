import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import {fleetColumnWidths, fleetHeading, fleetTableLines, type FleetRow} from '../../../source/fleet/present.js';

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
