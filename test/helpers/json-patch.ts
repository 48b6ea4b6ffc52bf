// A tiny RFC 6902 applier (test and add; replace and remove only when asked, as undo's patch needs them), with the
// apiserver's reading of `test` against null: enough to apply the doctor's ClusterRole patches in unit tests as the
// API server would.
import type {JsonPatchOperation} from '../../source/multus/rbac.js';

export type Json = null | boolean | number | string | Json[] | {[key: string]: Json};

function isObject(value: Json | undefined): value is {[key: string]: Json} {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function jsonEqual(a: Json | undefined, b: Json | undefined): boolean {
	if (Array.isArray(a) || Array.isArray(b)) {
		return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((item, i) => jsonEqual(item, b[i]));
	}

	if (isObject(a) || isObject(b)) {
		if (!isObject(a) || !isObject(b)) return false;
		const keys = (object: {[key: string]: Json}) => Object.keys(object).filter(key => object[key] !== undefined).sort();
		const aKeys = keys(a);
		return jsonEqual(aKeys, keys(b)) && aKeys.every(key => jsonEqual(a[key], b[key]));
	}

	return a === b;
}

function tokens(pointer: string): string[] {
	return pointer
		.split('/')
		.slice(1)
		.map(token => token.replaceAll('~1', '/').replaceAll('~0', '~'));
}

export function child(parent: Json | undefined, token: string): Json | undefined {
	if (Array.isArray(parent)) return /^\d+$/.test(token) ? parent[Number(token)] : undefined;
	return isObject(parent) && Object.hasOwn(parent, token) ? parent[token] : undefined;
}

export class PatchFailed extends Error {}

/**
 * The document after `operations`; throws PatchFailed when a `test` fails, as the API server answers 422. Without
 * `removes` a remove or replace fails too: the doctor's plan only adds, and its tests hold it to that.
 */
export function applyJsonPatch(document: Json, operations: JsonPatchOperation[], options: {removes?: boolean} = {}): Json {
	const result = structuredClone(document);
	for (const operation of operations) {
		const path = tokens(operation.path);
		const last = path.pop();
		if (last === undefined) throw new PatchFailed('whole-document operations are not used');
		let parent: Json | undefined = result;
		for (const token of path) parent = child(parent, token);
		if ((operation.op === 'remove' || operation.op === 'replace') && !options.removes) throw new PatchFailed('the plan never removes');
		if (operation.op === 'remove' || operation.op === 'replace') {
			if (child(parent, last) === undefined) throw new PatchFailed(`${operation.op} ${operation.path}: no such member`);
			if (operation.op === 'remove') {
				if (Array.isArray(parent)) parent.splice(Number(last), 1);
				else if (isObject(parent)) delete parent[last];
				continue;
			}
		}
		const value = structuredClone(operation.value) as Json;
		if (operation.op === 'test') {
			const current = child(parent, last);
			// evanphx/json-patch, as used by the apiserver: a missing member tests equal to null.
			const ok = value === null ? current === undefined || current === null : jsonEqual(current, value);
			if (!ok) throw new PatchFailed(`test ${operation.path} failed`);
			continue;
		}

		if (operation.op === 'replace') {
			if (Array.isArray(parent)) parent[Number(last)] = value;
			else if (isObject(parent)) parent[last] = value;
			continue;
		}

		if (Array.isArray(parent)) {
			if (last === '-') parent.push(value);
			else if (/^\d+$/.test(last) && Number(last) <= parent.length) parent.splice(Number(last), 0, value);
			else throw new PatchFailed(`add ${operation.path}: bad index`);
		} else if (isObject(parent)) {
			parent[last] = value;
		} else {
			throw new PatchFailed(`add ${operation.path}: no parent`);
		}
	}

	return result;
}
