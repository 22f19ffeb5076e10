/** The minimum an inbound activity must carry before any bot sees it; anything else is a 400 with a reason. */
import { z } from 'zod';

export const activityShape = z.object({
  type: z.string({ required_error: 'activity.type is required' }).min(1, 'activity.type is required'),
  conversation: z.object(
    { id: z.string({ required_error: 'activity.conversation.id is required' }).min(1, 'activity.conversation.id is required') },
    { required_error: 'activity.conversation.id is required', invalid_type_error: 'activity.conversation must be an object' },
  ),
  serviceUrl: z.string().optional(),
});

/**
 * What `activityShape` accepts, asked without a parse: nearly every request is well formed, and zod builds a result and
 * its context for each (about 20 µs a request in the service's profile; docs/BENCHMARKS.md, fifth session). Anything
 * this does not accept goes to zod, which decides and says why; a test holds that this never accepts what zod refuses.
 */
function plainlyWellFormed(body: Record<string, unknown>): boolean {
  const conversation = body.conversation as { id?: unknown } | null | undefined;
  return (
    typeof body.type === 'string' &&
    body.type.length > 0 &&
    typeof conversation === 'object' &&
    conversation !== null &&
    !Array.isArray(conversation) &&
    typeof conversation.id === 'string' &&
    conversation.id.length > 0 &&
    (body.serviceUrl === undefined || typeof body.serviceUrl === 'string')
  );
}

/** Returns a reason when the body is not an activity we can process. */
export function activityProblem(body: unknown): string | undefined {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return 'the body must be a JSON object (an activity)';
  if (plainlyWellFormed(body as Record<string, unknown>)) return undefined;
  const parsed = activityShape.safeParse(body);
  return parsed.success ? undefined : parsed.error.issues[0]?.message ?? 'not an activity';
}
