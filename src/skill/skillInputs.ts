/**
 * Reads the skill's action inputs from an activity's value. Copilot Studio passes strings only; `Context` is a
 * JSON string with its handoff variables (va_LastTopic, va_Phrases, ...) and topic variables.
 */
import { InputLimits, SkillInputs } from './skillContract';

export function readString(value: unknown, name: string): string | undefined {
  if (!value || typeof value !== 'object') return undefined;
  const v = (value as Record<string, unknown>)[name];
  return typeof v === 'string' ? v : v === undefined || v === null ? undefined : JSON.stringify(v);
}

/** The `Queue` input: a queue name, or undefined (routing decides). */
export function readQueue(value: unknown): string | undefined {
  const q = readString(value, SkillInputs.queue)?.trim();
  return q ? q.slice(0, 100) : undefined;
}

export function readProblem(value: unknown): string {
  return (readString(value, SkillInputs.problemDescription) ?? '').trim().slice(0, InputLimits.problemChars);
}

/**
 * Parses the Context input into string key/values within limits. Malformed JSON is kept as one `raw` value,
 * so what the virtual agent collected still reaches the agent.
 */
export function readContext(value: unknown): Record<string, string> {
  const raw = readString(value, SkillInputs.context);
  if (!raw || raw.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return { raw: raw.slice(0, InputLimits.contextValueChars) };
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return { raw: raw.slice(0, InputLimits.contextValueChars) };
  const out: Record<string, string> = {};
  let bytes = 0;
  for (const [key, v] of Object.entries(parsed as Record<string, unknown>)) {
    if (Object.keys(out).length >= InputLimits.contextKeys) break;
    if (v === null || v === undefined || v === '') continue;
    const text = (typeof v === 'string' ? v : JSON.stringify(v)).slice(0, InputLimits.contextValueChars);
    bytes += Buffer.byteLength(key) + Buffer.byteLength(text);
    if (bytes > InputLimits.contextBytes) break;
    out[key.slice(0, 100)] = text;
  }
  return out;
}
