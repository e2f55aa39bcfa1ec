/** Product kinds: one category each, with a typical price (EUR). */
export const productKinds: readonly [name: string, basePrice: number][] = [
  ['running shoes', 89], ['sneakers', 75], ['hiking boots', 129], ['sandals', 39], ['rain jacket', 110], ['hoodie', 49],
  ['t-shirt', 19], ['jeans', 59], ['dress', 69], ['backpack', 55], ['handbag', 95], ['wallet', 35], ['watch', 199],
  ['sunglasses', 79], ['headphones', 149], ['earbuds', 99], ['bluetooth speaker', 69], ['smartphone case', 19],
  ['phone charger', 25], ['power bank', 39], ['laptop stand', 45], ['mechanical keyboard', 109], ['wireless mouse', 35],
  ['monitor', 229], ['webcam', 69], ['smart speaker', 59], ['coffee maker', 119], ['espresso machine', 349],
  ['kettle', 45], ['toaster', 39], ['blender', 89], ['frying pan', 42], ['knife set', 79], ['cutting board', 25],
  ['desk lamp', 39], ['duvet', 89], ['pillow', 29], ['towel set', 35], ['yoga mat', 29], ['dumbbells', 59],
  ['water bottle', 19], ['bike helmet', 65], ['tent', 179], ['sleeping bag', 89], ['board game', 35], ['puzzle', 19],
  ['lego set', 79], ['face cream', 29], ['shampoo', 9], ['perfume', 69],
];

export const brands = [
  'Nordkap', 'Velora', 'Arbo', 'Kestrel', 'Lumen', 'Pinewood', 'Solace', 'Tundra', 'Vanta', 'Orbit', 'Maris', 'Halden',
  'Quill', 'Rivet', 'Sable', 'Cobalt', 'Fjell', 'Juno', 'Ember', 'Atlas',
] as const;

export const colors = ['black', 'white', 'red', 'blue', 'green', 'grey', 'beige', 'navy', 'pink', 'olive'] as const;

export const adjectives = ['classic', 'lightweight', 'premium', 'compact', 'waterproof', 'slim', 'pro', 'eco', 'vintage', 'ultra'] as const;

export const locales = ['de-DE', 'en-GB', 'fr-FR', 'nl-NL', 'en-US', 'es-ES', 'it-IT', 'pl-PL'] as const;

export const referrers = ['', '', '', 'https://www.google.com/', 'https://www.google.com/', 'https://www.bing.com/', 'https://www.instagram.com/', 'https://newsletter.example/'] as const;

export const userAgents = {
  mobile: 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Mobile Safari/537.36',
  desktop: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36',
  tablet: 'Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
} as const;

/**
 * Used only when no review corpus is passed in (the CLI always passes ../shared/data/reviews):
 * a handful of plain sentences so the pure API works on its own.
 */
export const fallbackReviews: readonly { text: string; rating: number }[] = [
  { text: 'Works exactly as described, very happy with it.', rating: 5 },
  { text: 'Good quality for the price.', rating: 4 },
  { text: 'Does the job, nothing special.', rating: 3 },
  { text: 'Stopped working after two weeks.', rating: 1 },
  { text: 'Smaller than expected and feels cheap.', rating: 2 },
  { text: 'Great value, would buy again.', rating: 5 },
];
