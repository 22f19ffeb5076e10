/** The Copilot Studio skill contract: action ids, input and output names, exactly as in skill-manifest.json. */
export const SkillActions = {
  startConversation: 'startConversation',
  sendMessage: 'sendMessage',
  endConversation: 'endConversation',
} as const;

export const SkillInputs = {
  liveChatConversationId: 'LiveChatConversationId',
  problemDescription: 'ProblemDescription',
  context: 'Context',
  queue: 'Queue',
} as const;

export const SkillOutputs = {
  liveChatConversationId: 'LiveChatConversationId',
} as const;

/** Codes on the endOfConversation that answers an action. */
export const EndCodes = {
  completed: 'completedSuccessfully',
  /** Bot Framework's code for an action the skill does not know. */
  unknown: 'unknown',
} as const;

/** Limits on what a skill call may carry into an escalation. */
export const InputLimits = {
  problemChars: 4000,
  contextBytes: 16 * 1024,
  contextKeys: 60,
  contextValueChars: 2000,
} as const;
