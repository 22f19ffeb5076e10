/**
 * The satisfaction survey sent to the customer's chat when an agent resolves it. Its buttons are Teams `imBack`
 * actions: a click sends "1"–"5" as the customer's own message, which Copilot Studio relays to the skill as the next
 * sendMessage. A card action in the Copilot Studio agent's chat would go to that agent, never to us.
 */
import * as ACData from 'adaptivecards-templating';
import template from './surveyCard.json';

const LABELS = ['Poor', 'Fair', 'Good', 'Very good', 'Excellent'];

export function surveyCardModel(question: string) {
  return {
    title: 'How did we do?',
    hint: question,
    choices: LABELS.map((label, i) => ({ title: String(i + 1), tooltip: `${i + 1}: ${label}`, value: String(i + 1) })),
  };
}

export function renderSurveyCard(model: ReturnType<typeof surveyCardModel>): Record<string, unknown> {
  return new ACData.Template(template).expand({ $root: model }) as Record<string, unknown>;
}
