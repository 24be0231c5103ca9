//! Word lists the offline analyzer reasons with: honorifics, words that are capitalised without
//! being names, place cues, creature and item nouns, and the visual, mood and lighting vocabulary
//! scenes are scored with. Data only; no logic beyond lookups.

/// Titles that bind to the name after them ("Mr. Darcy", "Lady Catherine"). Stored without the
/// trailing period; the tokenizer drops it.
#[rustfmt::skip]
pub const HONORIFICS: &[&str] = &[
    "Mr", "Mrs", "Miss", "Ms", "Master", "Lady", "Lord", "Sir", "Dame", "Madam", "Captain",
    "Colonel", "General", "Major", "Lieutenant", "Sergeant", "Admiral", "King", "Queen", "Prince",
    "Princess", "Duke", "Duchess", "Earl", "Count", "Countess", "Baron", "Baroness", "Dr", "Doctor",
    "Professor", "Reverend", "Rev", "Father", "Mother", "Sister", "Brother", "Aunt", "Uncle",
    "Saint", "St",
    // the same titles in the languages a traveller in an English novel meets ("Herr Leutner",
    // "Monsieur Defarge", "Signora Neroni")
    "Herr", "Frau", "Fräulein", "Monsieur", "Madame", "Mademoiselle", "Signor", "Signora",
    "Signorina", "Señor", "Señora", "Mynheer",
];

/// Styles of rank that stand before a title or a name without being either ("the Honourable
/// Mrs Jamieson", "the Right Honourable Lord North", "the Venerable Bede"): never an element
/// alone, and left out of the name they precede.
#[rustfmt::skip]
pub const STYLES: &[&str] = &[
    "Honourable", "Honorable", "Hon", "Right", "Venerable", "Worshipful",
];

pub fn is_style(word: &str) -> bool {
    STYLES.contains(&word)
}

/// Nouns of stuff and wares a place names ("Shetland wool", "Dresden china", "Brussels
/// carpet"): a capitalised word only ever before one of them is the ware's adjective, no one.
#[rustfmt::skip]
pub const GOODS_NOUNS: &[&str] = &[
    "wool", "silk", "silks", "lace", "linen", "muslin", "muslins", "cloth", "china", "ware",
    "porcelain", "leather", "tweed", "shawl", "shawls", "carpet", "carpets", "stockings",
    "cheese", "ale", "wine", "tea", "cotton", "velvet", "satin", "chintz", "calico", "crape",
    "bonnet", "bonnets", "pottery", "glass", "paper", "brocade", "serge", "worsted", "yarn",
];

/// Honorifics that name a man, used to pick the person a bare surname refers to ("Darcy" is
/// "Mr. Darcy", not "Miss Darcy").
#[rustfmt::skip]
pub const MALE_HONORIFICS: &[&str] = &[
    "Mr", "Master", "Lord", "Sir", "Captain", "Colonel", "General", "Major", "Lieutenant",
    "Sergeant", "Admiral", "King", "Prince", "Duke", "Earl", "Count", "Baron", "Dr", "Doctor",
    "Father", "Brother", "Uncle", "Herr", "Monsieur", "Signor", "Señor", "Mynheer",
];

/// Capitalised words that are never names on their own: pronouns, determiners, conjunctions,
/// interjections, months, weekdays, book furniture.
const NOT_NAMES: &[&str] = &[
    "I",
    "I'm",
    "I'll",
    "I've",
    "I'd",
    "A",
    "An",
    "The",
    "This",
    "That",
    "These",
    "Those",
    "He",
    "She",
    "It",
    "We",
    "They",
    "You",
    "Me",
    "Him",
    "Her",
    "Us",
    "Them",
    "My",
    "Your",
    "His",
    "Its",
    "Our",
    "Their",
    "Mine",
    "Yours",
    "Who",
    "Whom",
    "Whose",
    "What",
    "Which",
    "When",
    "Where",
    "Why",
    "How",
    "But",
    "And",
    "Or",
    "Nor",
    "For",
    "So",
    "Yet",
    "If",
    "Then",
    "Than",
    "As",
    "At",
    "In",
    "On",
    "To",
    "From",
    "By",
    "With",
    "Of",
    "Not",
    "No",
    "Yes",
    "Oh",
    "Ah",
    "Aye",
    "Nay",
    "Alas",
    "Pooh",
    "Hush",
    "Hark",
    "Lo",
    "Well",
    "Indeed",
    "Upon",
    "Do",
    "Did",
    "Is",
    "Was",
    "Be",
    "Are",
    "Had",
    "Have",
    "Has",
    "Chapter",
    "Book",
    "Volume",
    "Part",
    "End",
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
    "God",
    "Heaven",
    "Heavens",
    "Good",
    "Dear",
    "One",
    "Every",
    "Some",
    "All",
    "Any",
    "Each",
    "Such",
    "Very",
    "Now",
    "Here",
    "There",
    "Let",
    "Pray",
    "Perhaps",
    "After",
    "Before",
    "While",
    "Though",
    "Although",
    "Because",
    "Since",
    "Until",
    "OK",
    "Ha",
    "Mamma",
    "Papa",
    "Madam",
    "Sir",
    "Ma'am",
    "English",
    "French",
    "Irish",
    "Scotch",
    "Scottish",
    "Christmas",
    "Easter",
    "Michaelmas",
    "Christian",
    "Sunday",
    "Lord",
    "Lady",
    "Miss",
    "Mr",
    "Mrs",
    "Colonel",
    "Captain",
    "Oh",
    "Hm",
    "Mm",
    "Bah",
    "Ugh",
    "Hey",
    "Hello",
    "Farewell",
    "Goodbye",
    "Thank",
    "Thanks",
    "Sure",
    "Nothing",
    "Everything",
    "Everybody",
    "Nobody",
    "Hell",
    "Damn",
    "Goodness",
    "Mercy",
    "Hallo",
    "Hullo",
    "Bravo",
    "Hurrah",
    "Hurray",
    "Hooray",
    "Huzza",
    "Huzzah",
    "Alack",
    "Egad",
    "Zounds",
    "Amen",
    "Sirs",
    "Mein",
    "First",
    "Second",
    "Third",
    "Fourth",
    "Fifth",
    "Sixth",
    "Seventh",
    "Eighth",
    "Ninth",
    "Tenth",
    "Dutch",
    "Dutchman",
    "Englishman",
    "Englishwoman",
    "Frenchman",
    "Frenchwoman",
    "Irishman",
    "Irishwoman",
    "Scotchman",
    "Scotsman",
    "German",
    "Germans",
    "Swiss",
    "American",
    "Americans",
    "Italian",
    "Italians",
    "Spanish",
    "Spaniard",
    "Russian",
    "Turk",
    "Turkish",
    "Japanese",
    "Chinese",
    "Welsh",
    "Latin",
    "Greek",
    "Hollander",
    "Alpine",
    "Mediaeval",
    "Medieval",
    "Celt",
    "Celtic",
    "Impression",
    "Copyright",
    "Contents",
    "Illustrations",
    "Frontispiece",
    "Preface",
    "Introduction",
    "Finis",
    "Mother",
    "Father",
    "Grandfather",
    "Grandmother",
    "North",
    "South",
    "East",
    "West",
];

/// Words that end a place name ("Netherfield Park", "Baker Street").
#[rustfmt::skip]
pub const PLACE_SUFFIXES: &[&str] = &[
    "Hall", "Park", "Street", "Abbey", "River", "House", "Lodge", "Court", "Castle", "Village",
    "Manor", "Square", "Lane", "Road", "Bridge", "Church", "Cathedral", "Palace", "Tower", "Forest",
    "Wood", "Woods", "Hill", "Hills", "Mountain", "Mountains", "Lake", "Sea", "Bay", "Island",
    "Valley", "Place", "Gardens", "Inn", "Parsonage", "Cottage", "Farm", "Gate", "Common", "Heath", "Dale",
    "Moor", "Town", "City", "Harbour", "Port", "Fort", "Keep", "Temple", "Museum", "Gallery",
    "Theatre", "Market", "Station", "Chapel", "Priory", "Mill", "Wharf", "Quay", "Mansion",
    "Plantation", "Ridge", "Hollow", "Creek",
];

/// Prepositions that put a following capitalised word in a place ("at Longbourn").
#[rustfmt::skip]
pub const PLACE_PREPOSITIONS: &[&str] = &[
    "at", "in", "into", "from", "near", "through", "towards", "toward", "across", "reach",
    "reached", "leave", "left", "quit", "quitted", "visit", "visited", "beyond",
];

/// Parts of a country or region: "the north of England" makes England a place.
#[rustfmt::skip]
pub const REGION_NOUNS: &[&str] = &[
    "north", "south", "east", "west", "part", "parts", "heart", "capital", "coast", "shores",
    "interior", "outskirts",
];

/// Journeys: "a tour to the Lakes" makes the Lakes a place, as "went to" does.
#[rustfmt::skip]
pub const JOURNEY_NOUNS: &[&str] = &[
    "tour", "trip", "journey", "excursion", "voyage", "expedition", "passage", "flight",
];

/// Nouns that name a kind of place; "the village of Longbourn" makes Longbourn a place.
#[rustfmt::skip]
pub const PLACE_NOUNS: &[&str] = &[
    "village", "town", "city", "county", "parish", "hamlet", "kingdom", "isle", "port", "shire",
    "house", "park", "estate", "manor", "grounds", "neighbourhood", "neighborhood", "borough",
    "district", "quarter", "province", "canton", "land", "country", "city", "empire",
    "metropolis",
];

/// Concrete things worth naming in a scene description ("with the fields, mud and petticoat").
#[rustfmt::skip]
pub const SCENERY: &[&str] = &[
    "window", "door", "stairs", "staircase", "garden", "gardens", "park", "lawn", "field", "fields",
    "wood", "woods", "trees", "grove", "river", "stream", "lake", "water", "bridge", "hill",
    "hills", "road", "lane", "path", "house", "church", "castle", "tower", "fire", "candle",
    "candles", "moon", "sun", "rain", "snow", "mist", "storm", "flowers", "sky", "library", "shop",
    "ballroom", "table", "fireplace", "gown", "dress", "bonnet", "stockings", "petticoat", "coat",
    "carriage", "horse", "horses", "chaise", "letter", "note", "mud", "gallery", "portrait",
    "valley", "sea", "shore", "ship", "boat", "mirror", "lamp", "piano", "pianoforte", "feathers",
    "ribbon", "lace", "stone", "glass", "shadow", "shadows",
];

/// Verbs of going; "to" after one of them marks a place ("went to London").
#[rustfmt::skip]
pub const MOTION_VERBS: &[&str] = &[
    "go", "goes", "went", "gone", "going", "come", "came", "coming", "return", "returned",
    "returning", "travel", "travelled", "travelling", "journey", "removed", "walk", "walked",
    "ride", "rode", "drove", "driven", "sent", "back", "way", "road", "set", "hurried", "carried",
    "taken", "invited", "bound", "arrived", "fled", "sailed", "moved", "get", "got",
];

/// Verbs of speech for dialogue attribution ("said Elizabeth", "Jane replied").
#[rustfmt::skip]
pub const SPEECH_VERBS: &[&str] = &[
    "said", "cried", "replied", "answered", "asked", "returned", "continued", "added", "exclaimed",
    "observed", "whispered", "shouted", "called", "resumed", "rejoined", "repeated", "began",
    "thought", "murmured", "interrupted", "remarked", "declared", "muttered",
];

/// Animals the analyzer reports as creatures.
#[rustfmt::skip]
pub const CREATURES: &[&str] = &[
    "horse", "horses", "pony", "ponies", "dog", "dogs", "hound", "hounds", "cat", "cats", "bird",
    "birds", "dragon", "dragons", "wolf", "wolves", "fox", "sheep", "cow", "cows", "deer", "stag",
    "owl", "raven", "crow", "eagle", "hawk", "fish", "snake", "serpent", "lion", "tiger",
    "mule", "donkey", "goat", "pig", "rat", "mouse", "spider", "beetle", "insect", "monster",
    "unicorn", "griffin", "troll", "goblin",
];

/// Animals named by their species, each with the class noun on `CREATURES` a reader also uses
/// for the same animal ("the robin" is "the bird", "the spaniel" "the dog"): general
/// vocabulary. A species noun is a creature, as its class noun is. Not the young ("kitten",
/// "puppy", "colt"): "the cat and three kittens" are different animals.
#[rustfmt::skip]
pub const SPECIES: &[(&str, &str)] = &[
    ("robin", "bird"), ("sparrow", "bird"), ("thrush", "bird"), ("blackbird", "bird"),
    ("lark", "bird"), ("skylark", "bird"), ("nightingale", "bird"), ("canary", "bird"),
    ("parrot", "bird"), ("finch", "bird"), ("wren", "bird"), ("starling", "bird"),
    ("magpie", "bird"), ("pigeon", "bird"), ("cuckoo", "bird"), ("linnet", "bird"),
    ("spaniel", "dog"), ("terrier", "dog"), ("collie", "dog"), ("mastiff", "dog"),
    ("poodle", "dog"), ("bulldog", "dog"), ("greyhound", "dog"), ("retriever", "dog"),
    ("sheepdog", "dog"), ("mare", "horse"), ("stallion", "horse"), ("gelding", "horse"),
];

/// The class noun of a species noun ("robin" → "bird").
pub fn species_class(word: &str) -> Option<&'static str> {
    SPECIES.iter().find(|(s, _)| *s == word).map(|(_, c)| *c)
}

/// Objects the analyzer reports as items: things a story carries, sends or rides in, not the
/// furniture every room has.
#[rustfmt::skip]
pub const ITEMS: &[&str] = &[
    "carriage", "chaise", "coach", "barouche", "letter", "sword", "necklace", "pianoforte",
    "harp", "cloak", "shawl", "lantern", "dagger", "pistol", "musket", "miniature", "portrait",
    "umbrella", "wand", "boat", "ship", "cart", "wagon", "apple", "violin", "locket", "casket",
    "crucifix", "telescope", "sledge", "gondola", "cradle", "coffin", "banner",
];

/// Rooms and dwellings a story names by their owner ("Gregor’s room", "Tom's cabin").
#[rustfmt::skip]
pub const ROOM_NOUNS: &[&str] = &[
    "room", "bedroom", "chamber", "study", "flat", "apartment", "house", "cottage", "shop",
    "office", "kitchen", "parlour", "parlor", "library", "cabin", "hut", "garret", "cell",
    "lodgings", "attic", "cellar",
];

/// Kinds of ship: "the schooner Walrus" names a ship.
#[rustfmt::skip]
pub const VESSEL_NOUNS: &[&str] = &[
    "ship", "schooner", "brig", "brigantine", "sloop", "frigate", "barque", "steamer", "yacht",
    "vessel", "lugger", "galleon", "steamboat", "packet", "whaler", "clipper", "ketch",
];

/// People named by what they do ("the chief clerk", "the charwoman").
#[rustfmt::skip]
pub const ROLES: &[&str] = &[
    "clerk", "charwoman", "lodger", "lodgers", "maid", "housemaid", "cook", "housekeeper",
    "doctor", "surgeon", "locksmith", "coachman", "footman", "butler", "porter", "landlord",
    "landlady", "innkeeper", "gardener", "governess", "parson", "vicar", "curate", "constable",
    "jailer", "turnkey", "boatman", "ferryman", "shepherd", "miller", "blacksmith", "postman",
    "waiter", "waitress", "nurse", "schoolmaster", "schoolmistress", "hostess", "host",
    "watchman", "sentinel", "beadle", "sexton", "chaplain", "magistrate", "jailor", "dustman",
    "weaver", "ostler", "groom", "valet", "steward", "pedlar", "peddler", "hermit", "abbess",
];

/// Verbs whose subject is a person: speaking, ordering, feeling, deciding. "the emperor
/// commanded", "the clerk smiled": a noun that is their subject is someone in the story, where
/// "the door opened" is not.
#[rustfmt::skip]
pub const PERSON_VERBS: &[&str] = &[
    "ordered", "commanded", "told", "smiled", "laughed", "wept", "nodded", "frowned", "sighed",
    "bowed", "thanked", "promised", "desired", "resolved", "wished", "hoped", "believed",
    "knew", "decided", "insisted", "admitted", "agreed", "refused", "consented", "forgave",
    "granted", "summoned", "received", "spoke", "says", "asks", "replies", "sent", "gave",
];

/// Nouns for anyone at all: "the man said" is not yet a character of its own, "the emperor
/// said" is. Also words after "the" that stand for a noun already said ("the other", "the
/// former"), and kin, which the chapter's named families already are.
#[rustfmt::skip]
const GENERIC_PEOPLE: &[&str] = &[
    "man", "men", "woman", "women", "people", "person", "persons", "fellow", "fellows", "boy",
    "boys", "girl", "girls", "child", "children", "lady", "ladies", "gentleman", "gentlemen",
    "stranger", "strangers", "family", "company", "party", "crowd", "folk", "folks", "one",
    "ones", "other", "others", "former", "latter", "rest", "same", "first", "last", "whole",
    "poor", "rich", "dead", "living", "sick", "baby", "creature", "creatures", "figure",
    "visitor", "visitors", "guest", "guests", "servant", "servants", "youth", "lad", "lass",
    "world", "public", "next", "thing", "things",
    // kin and company: "the father said" is a relative of someone the chapter names
    "father", "mother", "sister", "brother", "son", "daughter", "wife", "husband", "uncle",
    "aunt", "cousin", "grandfather", "grandmother", "parents", "friend", "friends", "companion",
    "companions", "family",
    // times, which own things too ("the day's work")
    "day", "night", "morning", "evening", "year", "week", "hour", "moment", "minute",
    "season", "age", "century", "today",
];

/// A noun for a person, listed or generic ("clerk", "gentleman").
pub fn is_person_noun(word: &str) -> bool {
    ROLES.contains(&word) || GENERIC_PEOPLE.contains(&word)
}

/// Whether a lower-case noun may name a person by role, given evidence that it acts as one.
pub fn may_be_role(word: &str) -> bool {
    word.len() >= 3
        && word.chars().all(|c| c.is_ascii_lowercase())
        && !GENERIC_PEOPLE.contains(&word)
        && !ROLE_MODIFIERS.contains(&word)
        && !NUMBER_WORDS.contains(&word)
        && !CREATURES.contains(&word)
        && !ITEMS.contains(&word)
        && !SCENERY.contains(&word)
        && !ROOM_NOUNS.contains(&word)
        && !VESSEL_NOUNS.contains(&word)
        && !PLACE_NOUNS.contains(&word)
        && !REGION_NOUNS.contains(&word)
        && !JOURNEY_NOUNS.contains(&word)
        && !is_abstract(word)
        // "the captain", "the master": a title the chapter's named people carry is theirs
        && !HONORIFICS.iter().any(|h| h.eq_ignore_ascii_case(word))
}

/// Words that narrow a role to one person ("the chief clerk", "the old charwoman").
#[rustfmt::skip]
const ROLE_MODIFIERS: &[&str] = &[
    "chief", "head", "old", "young", "little", "new", "elder", "younger", "under", "kitchen",
];

/// Plurals that a number turns into a definite group ("the three gentlemen").
#[rustfmt::skip]
const GROUP_NOUNS: &[&str] = &[
    "gentlemen", "lodgers",
    "strangers", "soldiers", "officers",
];

#[rustfmt::skip]
const NUMBER_WORDS: &[&str] = &[
    "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "twelve",
];

/// Words just before a noun that make it a comparison, not a thing in the scene ("like a dog",
/// "as a dragon").
#[rustfmt::skip]
pub const FIGURE_CUES: &[&str] = &[
    "like", "as", "than", "if", "such", "resembling", "resembled",
];

pub fn is_role(word: &str) -> bool {
    ROLES.contains(&word)
}

pub fn is_role_modifier(word: &str) -> bool {
    ROLE_MODIFIERS.contains(&word)
}

pub fn is_group_noun(word: &str) -> bool {
    GROUP_NOUNS.contains(&word)
}

pub fn is_number_word(word: &str) -> bool {
    NUMBER_WORDS.contains(&word)
}

/// Words that make a passage drawable: colour, light, weather, motion, physical things, places.
#[rustfmt::skip]
pub const VISUAL: &[&str] = &[
    "red", "blue", "green", "yellow", "white", "black", "grey", "gray", "golden", "gold", "silver",
    "crimson", "scarlet", "purple", "pink", "brown", "pale", "dark", "bright", "colour", "color",
    "light", "sun", "sunshine", "sunset", "sunrise", "moon", "moonlight", "candle", "candles",
    "fire", "flame", "lamp", "shadow", "shadows", "glow", "shining", "shone", "gleam", "rain",
    "snow", "wind", "storm", "cloud", "clouds", "mist", "fog", "frost", "weather", "dirty", "mud",
    "muddy", "dust", "summer", "winter", "autumn", "spring", "morning", "evening", "night",
    "walked", "ran", "run", "running", "rode", "ride", "riding", "drove", "danced", "dance",
    "dancing", "jumped", "fell", "rose", "hurried", "rushed", "crossed", "climbed", "turned",
    "galloped", "flew", "fled", "walking", "approached", "entered", "stepped", "sprang", "wandered",
    "window", "door", "stairs", "staircase", "room", "hall", "ballroom", "garden", "gardens",
    "park", "lawn", "field", "fields", "wood", "woods", "trees", "tree", "grove", "river", "stream",
    "lake", "water", "bridge", "hill", "hills", "road", "lane", "path", "house", "church", "castle",
    "tower", "carriage", "horse", "horses", "chaise", "gown", "dress", "bonnet", "table",
    "fireplace", "piano", "pianoforte", "flowers", "sky", "ground", "stone", "glass", "mirror",
    "portrait", "gallery", "valley", "sea", "shore", "ship", "boat", "face", "eyes", "hand",
    "hands", "petticoat", "stockings", "feathers", "ribbon", "lace",
];

/// Words that describe how someone or something looks, for entity descriptions.
#[rustfmt::skip]
pub const APPEARANCE: &[&str] = &[
    "tall", "short", "handsome", "pretty", "beautiful", "lovely", "plain", "fine", "elegant",
    "young", "old", "dark", "fair", "pale", "stout", "slender", "thin", "noble", "grand",
    "gentlemanlike", "good-looking", "large", "small", "ancient", "modern",
    "ugly", "proud", "lively", "graceful", "fashionable", "neat", "shabby",
    "striking", "haughty", "smiling", "grey", "white", "black", "red", "golden",
    "green", "blue", "brown", "stone", "wooden", "beautifully", "handsomely", "well-dressed",
    "gold", "silver", "yellow", "gray", "crimson", "scarlet", "purple", "pink", "bushy", "long",
    "curly", "thick", "broad", "fat", "bald", "ragged", "smart", "rich", "silk", "velvet",
    "little", "tiny", "huge", "enormous", "rosy", "freckled", "bright", "tattered",
];

/// Dress and body nouns that, with an appearance adjective before them, describe how someone
/// looks ("blue uniform", "brown belly").
#[rustfmt::skip]
pub const FEATURES: &[&str] = &[
    "hair", "eyes", "face", "cheeks", "beard", "moustache", "whiskers", "hands", "arms", "legs",
    "belly", "back", "skin", "brow", "forehead", "lips", "nose", "figure", "shoulders", "uniform",
    "coat", "gown", "dress", "bonnet", "hat", "cap", "cloak", "shawl", "boots", "apron", "wig",
    "veil", "gloves", "spectacles", "waistcoat", "jacket", "sleeves", "collar", "buttons",
    "antennae", "fur", "mane", "tail", "wings", "feathers", "robe", "skirt", "skirts",
];

/// Mood lexicon: the mood word and the words that vote for it.
#[rustfmt::skip]
pub const MOODS: &[(&str, &[&str])] = &[
    ("joyful", &["laugh", "laughed", "laughing", "smile", "smiled", "smiling", "delight",
        "delighted", "happy", "happiness", "joy", "merry", "cheerful", "gay", "pleasure", "dance",
        "danced", "dancing", "ball", "lively"]),
    ("tense", &["angry", "anger", "fear", "afraid", "alarm", "alarmed", "danger", "storm",
        "shouted", "struck", "sword", "blood", "quarrel", "resentment", "indignation", "astonished",
        "agitation", "agitated", "dread", "rushed"]),
    ("melancholy", &["sad", "sorrow", "tears", "wept", "cry", "grief", "grieved", "alone", "lonely",
        "distress", "unhappy", "misery", "wretched", "mourning", "dejected", "silent", "silence",
        "pain"]),
    ("romantic", &["love", "loved", "heart", "affection", "tender", "admiration", "admired", "kiss",
        "beloved", "eyes", "blushed", "blush", "handsome", "beautiful", "marry", "married"]),
    ("peaceful", &["quiet", "calm", "gentle", "garden", "walk", "walked", "stroll", "pleasant",
        "peace", "tranquil", "soft", "trees", "lawn", "meadow", "river", "sunshine", "comfortable"]),
    ("mysterious", &["mystery", "strange", "secret", "shadow", "shadows", "dark", "darkness",
        "mist", "fog", "whisper", "whispered", "unknown", "hidden", "night", "moon"]),
];

/// Lighting lexicon: the lighting phrase and the words that vote for it.
#[rustfmt::skip]
pub const LIGHTING: &[(&str, &[&str])] = &[
    ("moonlit night", &["night", "moon", "moonlight", "midnight", "stars", "dark", "darkness"]),
    ("warm candlelight", &["candle", "candles", "fire", "fireplace", "lamp", "supper", "hearth",
        "drawing-room", "ball", "ballroom"]),
    ("golden evening light", &["evening", "sunset", "dusk", "twilight", "dinner", "golden"]),
    ("overcast grey light", &["rain", "cloud", "clouds", "grey", "fog", "mist", "storm", "snow",
        "wet", "dirty", "winter"]),
    ("bright morning light", &["morning", "sunrise", "breakfast", "dawn", "early"]),
    ("clear daylight", &["sun", "sunshine", "day", "noon", "summer", "bright", "walk", "park",
        "garden"]),
];

/// Lighting used when no lighting word is present.
pub const DEFAULT_LIGHTING: &str = "soft daylight";
/// Mood used when no mood word is present.
pub const DEFAULT_MOOD: &str = "calm";

pub fn is_honorific(word: &str) -> bool {
    HONORIFICS.contains(&word)
}

/// Titles that go before a surname ("Mr. Darcy"), unlike "Miss", "Lady" or "Sir", which also
/// go before a given name ("Miss Elizabeth", "Sir William").
pub fn takes_surname(word: &str) -> bool {
    matches!(
        word,
        "Mr" | "Mrs"
            | "Ms"
            | "Dr"
            | "Doctor"
            | "Captain"
            | "Colonel"
            | "General"
            | "Major"
            | "Lieutenant"
            | "Sergeant"
            | "Admiral"
            | "Professor"
            | "Herr"
            | "Frau"
            | "Monsieur"
            | "Madame"
            | "Signor"
            | "Signora"
            | "Señor"
            | "Señora"
            | "Mynheer"
    )
}

/// Titles a family uses for its own ("Uncle Scrooge", "Aunt Polly"): the person is the one the
/// bare name means.
pub fn is_kin_title(word: &str) -> bool {
    matches!(word, "Uncle" | "Aunt")
}

/// Titles of a sovereign or their children ("King William", "Princess Anne").
pub fn is_royal_title(word: &str) -> bool {
    matches!(word, "King" | "Queen" | "Prince" | "Princess")
}

pub fn is_male_honorific(word: &str) -> bool {
    MALE_HONORIFICS.contains(&word)
}

/// Whether a capitalised word can never be a name by itself: a listed word, in either
/// apostrophe style ("I’ve" is "I've"), any contraction ("I’ll", "Don't"), or an abstract noun
/// capitalised for emphasis ("Idleness", "Charity").
pub fn is_not_name(word: &str) -> bool {
    let straight = word.replace('\u{2019}', "'");
    NOT_NAMES.contains(&straight.as_str())
        || is_contraction(&straight)
        || is_abstract(word)
        || is_reduplicated(word)
}

/// "Yo-ho-ho", "Ha-ha", "Tut-tut", "Ding-dong", "Niminy-piminy": a hyphenated word whose parts
/// repeat, rhyme or differ by one vowel is a sound or a cry, never a name ("Jean-Paul",
/// "Saint-Cyr" and "Hay-on-Wye" have parts unlike each other).
fn is_reduplicated(word: &str) -> bool {
    let parts: Vec<String> = word.split('-').map(str::to_lowercase).collect();
    parts.len() > 1 && parts.windows(2).any(|pair| echoes(&pair[0], &pair[1]))
}

/// Whether two parts of a word echo each other: the same, the same after their first
/// consonants ("yo"/"ho", "niminy"/"piminy"), or the same but for one vowel ("ding"/"dong").
fn echoes(a: &str, b: &str) -> bool {
    let vowel = |c: char| "aeiouy".contains(c);
    let rhyme = |w: &str| w.trim_start_matches(|c: char| !vowel(c)).to_string();
    let ablaut = a.chars().count() == b.chars().count()
        && a.chars()
            .zip(b.chars())
            .filter(|(x, y)| x != y)
            .all(|(x, y)| vowel(x) && vowel(y))
        && a.chars().zip(b.chars()).filter(|(x, y)| x != y).count() == 1;
    let (ra, rb) = (rhyme(a), rhyme(b));
    a == b || ablaut || !ra.is_empty() && ra == rb && a.chars().count() <= 8
}

/// Months and weekdays: never a name alone, but a surname after a title ("Mrs. March").
pub fn is_calendar_word(word: &str) -> bool {
    matches!(
        word,
        "January"
            | "February"
            | "March"
            | "April"
            | "May"
            | "June"
            | "July"
            | "August"
            | "September"
            | "October"
            | "November"
            | "December"
            | "Monday"
            | "Tuesday"
            | "Wednesday"
            | "Thursday"
            | "Friday"
            | "Saturday"
            | "Sunday"
    )
}

/// Suffixes of abstract nouns, which name no one and nowhere.
const ABSTRACT_SUFFIXES: &[&str] = &[
    "ness", "ity", "tion", "ment", "ance", "ence", "hood", "ship",
];

fn is_abstract(word: &str) -> bool {
    word.chars().count() > 6 && ABSTRACT_SUFFIXES.iter().any(|s| word.ends_with(s))
}

/// "I've", "you'd", "won't": the tail after the apostrophe is a clipped verb or "not".
fn is_contraction(word: &str) -> bool {
    word.rsplit_once('\'')
        .is_some_and(|(_, tail)| matches!(tail, "ve" | "d" | "m" | "ll" | "re" | "t"))
}

/// Titles that make a church, street or parish rather than a person ("St. Giles").
pub fn is_place_title(word: &str) -> bool {
    matches!(word, "St" | "Saint")
}

pub fn is_place_suffix(word: &str) -> bool {
    PLACE_SUFFIXES.contains(&word)
}

/// Given names and their diminutives: "Lizzy" is "Elizabeth". A fixed list of English
/// hypocorisms; the analyzer merges a diminutive only when its full form is in the same chapter.
#[rustfmt::skip]
pub const DIMINUTIVES: &[(&str, &str)] = &[
    ("Lizzy", "Elizabeth"), ("Lizzie", "Elizabeth"), ("Eliza", "Elizabeth"), ("Beth", "Elizabeth"),
    ("Betsy", "Elizabeth"), ("Bess", "Elizabeth"), ("Kitty", "Catherine"), ("Kate", "Catherine"),
    ("Jenny", "Jane"), ("Polly", "Mary"), ("Molly", "Mary"), ("Peggy", "Margaret"),
    ("Meg", "Margaret"), ("Bill", "William"), ("Will", "William"), ("Bob", "Robert"),
    ("Dick", "Richard"), ("Ned", "Edward"), ("Ted", "Edward"), ("Tom", "Thomas"), ("Jack", "John"),
    ("Harry", "Henry"), ("Fanny", "Frances"), ("Sally", "Sarah"), ("Nell", "Eleanor"),
    ("Charlie", "Charles"), ("Sam", "Samuel"), ("Jim", "James"), ("Georgie", "Georgiana"),
    ("Matty", "Matilda"), ("Tilly", "Matilda"), ("Patty", "Martha"), ("Debby", "Deborah"),
];

/// The full given name behind a diminutive, if the word is one.
pub fn full_name_of(diminutive: &str) -> Option<&'static str> {
    DIMINUTIVES
        .iter()
        .find(|(short, _)| *short == diminutive)
        .map(|(_, full)| *full)
}
