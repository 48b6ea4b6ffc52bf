import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import type {V1ClusterRole} from '@kubernetes/client-node';
import fc from 'fast-check';
import {changeAnnotation, changeRecord, readRecord} from '../../../source/doctor/record.js';

const podsListWatch = {apiGroups: [''], resources: ['pods'], verbs: ['list', 'watch']};

function roleWith(annotation: unknown): V1ClusterRole {
	return {metadata: {name: 'r', annotations: {[changeAnnotation]: annotation as string}}};
}

const good = {added: [podsListWatch], at: '2026-01-01T00:00:00Z', by: 'kubectl-multus 0.1.0 (abc)', daemonSet: 'kube-system/kube-multus-ds', rulesAfter: [podsListWatch]};

describe('readRecord', () => {
	test('no annotation: no record', () => {
		assert.deepEqual(readRecord({metadata: {name: 'r'}}), {state: 'none'});
	});

	test('what the doctor writes reads back as it was', () => {
		const record = changeRecord([podsListWatch], [podsListWatch], 'kube-system/kube-multus-ds');
		assert.deepEqual(readRecord(roleWith(JSON.stringify(record))), {state: 'valid', record});
	});

	const malformed: Array<[string, unknown, RegExp]> = [
		['{}', '{}', /daemonSet is not NAMESPACE\/NAME/],
		['null', 'null', /it is null, not an object/],
		['a JSON string', '"hello"', /it is a string, not an object/],
		['a list', '[1,2]', /it is a list, not an object/],
		['a number', '42', /it is a number, not an object/],
		['not JSON', '{"added":', /it is not JSON/],
		['an annotation that is not text', 7, /it is not text/],
		['added missing', JSON.stringify({...good, added: undefined}), /added is not a list of rules/],
		['added empty', JSON.stringify({...good, added: []}), /added is empty/],
		['added a string', JSON.stringify({...good, added: 'pods'}), /added is not a list of rules/],
		['a rule that is null', JSON.stringify({...good, added: [null]}), /added\[0\] is not an object/],
		['a rule with a number for verbs', JSON.stringify({...good, added: [{...podsListWatch, verbs: [1]}]}), /added\[0\] has a verbs that is not a list of strings/],
		['a rule without verbs', JSON.stringify({...good, added: [{apiGroups: [''], resources: ['pods']}]}), /added\[0\] has no verbs/],
		['a rule with an unknown field', JSON.stringify({...good, added: [{...podsListWatch, extra: true}]}), /added\[0\] has an unknown field "extra"/],
		['rulesAfter an object', JSON.stringify({...good, rulesAfter: {}}), /rulesAfter is not a list of rules/],
		['by a number', JSON.stringify({...good, by: 1}), /its by is not a short text/],
		['by huge', JSON.stringify({...good, by: 'x'.repeat(10_000)}), /its by is not a short text/],
		['at missing', JSON.stringify({...good, at: undefined}), /its at is not a timestamp/],
		['daemonSet without a namespace', JSON.stringify({...good, daemonSet: 'kube-multus-ds'}), /daemonSet is not NAMESPACE\/NAME/],
		['daemonSet with a control character', JSON.stringify({...good, daemonSet: 'kube-system/\u001B]0;x\u0007'}), /daemonSet is not NAMESPACE\/NAME/],
		['a huge record', JSON.stringify({...good, rulesAfter: Array.from({length: 20_000}, () => podsListWatch)}), /characters long/],
		['too many rules', JSON.stringify({...good, rulesAfter: Array.from({length: 6000}, () => ({verbs: ['get']}))}), /rulesAfter has 6000 rules/],
	];
	for (const [what, annotation, reason] of malformed) {
		test(`malformed: ${what} is refused with why`, () => {
			const reading = readRecord(roleWith(annotation));
			assert.equal(reading.state, 'malformed');
			assert.match(reading.state === 'malformed' ? reading.reason : '', reason);
		});
	}

	test('property: any annotation text is read without throwing, and a valid reading has the documented shape', () => {
		const fields = fc.record(
			{
				added: fc.oneof(fc.constant([podsListWatch]), fc.anything()),
				at: fc.oneof(fc.constant(good.at), fc.anything()),
				by: fc.oneof(fc.string(), fc.anything()),
				daemonSet: fc.oneof(fc.constant(good.daemonSet), fc.string()),
				rulesAfter: fc.oneof(fc.constant([]), fc.anything()),
			},
			{requiredKeys: []},
		);
		fc.assert(
			fc.property(fc.oneof(fc.string(), fc.json(), fields.map(value => JSON.stringify(value))), text => {
				const reading = readRecord(roleWith(text));
				if (reading.state !== 'valid') return;
				assert.ok(Array.isArray(reading.record.added) && reading.record.added.length > 0);
				assert.ok(reading.record.added.every(rule => Array.isArray(rule.verbs) && rule.verbs.every(verb => typeof verb === 'string')));
				assert.equal(typeof reading.record.by, 'string');
				assert.ok(Array.isArray(reading.record.rulesAfter));
			}),
			{numRuns: 1000},
		);
	});
});
