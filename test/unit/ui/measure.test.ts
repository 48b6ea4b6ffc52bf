import assert from 'node:assert/strict';
import {test} from 'node:test';
import {hangingIndent, lineRows} from '../../../source/ui/measure.js';

test('the hanging indent is found across segments: the fleet indents each cluster\'s lines with a segment of its own', () => {
	const numbered = hangingIndent([{text: '  '}, {text: '2. restart DaemonSet kube-system/kube-multus-ds', style: 'bold'}]);
	assert.equal(numbered.width, 5);
	assert.deepEqual(numbered.lead, [{text: '2. ', style: 'bold'}]);
	assert.deepEqual(numbered.rest, [{text: 'restart DaemonSet kube-system/kube-multus-ds', style: 'bold'}]);
	const spaces = hangingIndent([{text: '  '}, {text: '  granted to: ServiceAccount kube-system:multus', style: 'dim'}]);
	assert.equal(spaces.width, 4);
	assert.deepEqual(spaces.lead, []);
	assert.deepEqual(spaces.rest, [{text: 'granted to: ServiceAccount kube-system:multus', style: 'dim'}]);
	// In one segment, as before.
	assert.deepEqual(hangingIndent([{text: '    ✖ broken'}]), {lead: [{text: '✖ '}], rest: [{text: 'broken'}], width: 6, leadWidth: 2});
	assert.deepEqual(hangingIndent([{text: 'plain'}]), {lead: [], rest: [{text: 'plain'}], width: 0, leadWidth: 0});
	// Wrapped under its text: 16 columns less the indent of 4 per row.
	assert.equal(lineRows([{text: '  '}, {text: '  granted to: ServiceAccount'}], 16), 3);
});
