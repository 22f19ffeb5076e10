/** The minimum an inbound activity must carry before any bot sees it; anything else is a 400 with a reason. */
import { z } from 'zod';

const activityShape = z.object({
  type: z.string({ required_error: 'activity.type is required' }).min(1, 'activity.type is required'),
  conversation: z.object(
    { id: z.string({ required_error: 'activity.conversation.id is required' }).min(1, 'activity.conversation.id is required') },
    { required_error: 'activity.conversation.id is required', invalid_type_error: 'activity.conversation must be an object' },
  ),
  serviceUrl: z.string().optional(),
});

/** Returns a reason when the body is not an activity we can process. */
export function activityProblem(body: unknown): string | undefined {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return 'the body must be a JSON object (an activity)';
  const parsed = activityShape.safeParse(body);
  return parsed.success ? undefined : parsed.error.issues[0]?.message ?? 'not an activity';
}
