"""The rule-based categorizer: each rule on real-looking REs (A2D Sentences, DAVIS, the paper), negatives included."""

from pathlib import Path

import pandas as pd
import pytest

from refcat.analysis.agreement import cohen_kappa
from refcat.categorize.confidence import CONFIDENCE, KINDS, reading_kind
from refcat.categorize.rules import DEFAULT_READER, READERS, categorize, categorize_all, information_label
from refcat.categorize.words import tokenize, verb_lemma
from refcat.errors import UsageError
from refcat.taxonomy import CATEGORY_NAMES

DATA = Path(__file__).parent / "data"


def positives(text, reader=DEFAULT_READER):
    return {c for c, v in categorize(text, reader=reader).labels.items() if v}


# (RE, the categories that must be positive; all others must be negative)
CASES = [
    # released example rows (FORMATS.md)
    ("a black feathered swan", {"appearance", "category"}),
    ("the child is crawling up onto the sofa", {"category", "location", "motion"}),
    ("seagull standing in the back", {"category", "location", "static"}),
    # A2D Sentences / A2Dre+ lines
    ("the pigeon is limping", {"category", "motion"}),
    (
        "player in blue shirt passing a basketball on left",
        {"appearance", "category", "location", "static", "obj-motion"},
    ),
    ("the person in gray is walking", {"appearance", "category", "motion"}),
    ("the person in the left is walking", {"category", "location", "motion"}),
    ("a blue, red and white car is jumping on the air", {"appearance", "category", "location", "motion"}),
    # appearance: colours, patterns, sizes, looks, clothing
    ("girl in a yellow dress", {"appearance", "category"}),
    ("a woman wearing a hat", {"appearance", "category"}),
    ("a boy with a red shirt", {"appearance", "category"}),
    ("the man in black", {"appearance", "category"}),
    ("a black-and-white cow", {"appearance", "category"}),
    ("a striped cat", {"appearance", "category"}),
    ("the smaller fish", {"appearance", "category"}),
    ("a long-haired girl", {"appearance", "category"}),
    ("a man with a beard", {"appearance", "category"}),
    ("the car is red", {"appearance", "category"}),
    ("a kid wearing a pink jacket and blue jeans", {"appearance", "category"}),
    ("a boy in swimming trunks", {"appearance", "category"}),
    # location: image positions and relations to other objects
    ("the man on the left", {"category", "location"}),
    ("dog on the couch", {"category", "location"}),
    ("the boy in the water", {"category", "location"}),
    ("bird near the fence", {"category", "location"}),
    ("a person in front of the car", {"category", "location"}),
    ("the car closest to the camera", {"category", "location"}),
    ("the closest car", {"category", "location"}),
    ("the second person from the left", {"category", "location"}),
    ("the bottom dog", {"category", "location"}),
    ("the right one", {"location"}),
    ("the girl running to the right", {"category", "location", "motion"}),
    # motion
    ("a man walking", {"category", "motion"}),
    ("the dog that runs", {"category", "motion"}),
    ("a cat jumps onto the table", {"category", "location", "motion"}),
    ("a man climbing a rock wall", {"category", "location", "motion"}),  # what is climbed is a place
    ("a girl in a white dress dancing", {"appearance", "category", "motion"}),
    ("a person doing a backflip", {"category", "motion"}),
    ("a dog being walked by a woman", {"category", "motion"}),
    ("a bird is flying away", {"category", "motion"}),
    # static
    ("a parked car", {"category", "static"}),
    ("the man standing", {"category", "static"}),
    ("a man crouching", {"category", "static"}),
    ("a car that is not moving", {"category", "static"}),
    ("a bird perched on a branch", {"category", "location", "static"}),
    ("a kid looking at the camera", {"category", "static"}),
    ("a bird pecking at the ground", {"category", "static"}),
    ("the man waving his hand", {"category", "static"}),
    ("a man who is sitting", {"category", "static"}),
    ("a woman leaning against the wall", {"category", "location", "static"}),
    # objects: moved or acted on in place
    ("a man riding a bike", {"category", "motion", "obj-motion"}),
    ("girl pushing a stroller", {"category", "motion", "obj-motion"}),
    ("man holding a bike", {"category", "static", "obj-static"}),
    ("woman talking on the phone", {"category", "static", "obj-static"}),
    ("a boy kicking a ball", {"category", "static", "obj-motion"}),
    ("a man carrying a child", {"category", "obj-motion"}),
    ("a cat eating food", {"category", "static", "obj-static"}),
    ("a man with a camera", {"category", "obj-static"}),
    ("a man throwing a frisbee to a dog", {"category", "static", "obj-motion"}),
    ("a woman in a red coat walking her dog", {"appearance", "category", "motion", "obj-motion"}),
    # attachment: actions of another object are not the referent's
    ("the dog next to the man walking", {"category", "location"}),
    ("a person standing near the man running", {"category", "location", "static"}),
    ("the girl beside the boy sitting on the grass", {"category", "location"}),
    ("the dog next to the man is walking", {"category", "location", "motion"}),
    ("the red truck behind the white car", {"appearance", "category", "location"}),
    # adverbial locatives, infinitives, passives, abstract objects, body parts
    ("siamese cat is rolling outside", {"category", "location", "motion"}),
    ("a cat sitting in the dark", {"category", "location", "static"}),
    ("Guy is struggling to climb over stone block", {"category", "location", "motion"}),
    ("the ball is thrown", {"category", "motion"}),
    ("ball is held by a dog", {"category", "static"}),
    ("the baby is taking steps", {"category", "motion"}),
    ("Yellow formula car is leading a race", {"appearance", "category", "motion"}),
    ("a man turning his head", {"category", "static"}),
    ("a boy in white shirt is throwing a ball to the basket", {"appearance", "category", "static", "obj-motion"}),
    ("Small boy in striped pajama rolling on the carpet", {"appearance", "category", "location", "motion"}),
    ("the dog is playing in the green field", {"category", "location", "static"}),
    ("Man shoot the bird", {"category", "static", "obj-static"}),
    ("a car moving at high speed", {"category", "motion"}),
    ("the smaller of the two dogs", {"appearance", "category"}),
    ("the horse on which the woman is sitting", {"category"}),
    ("a flamingo standing on one leg", {"category", "static"}),
    ("a dog shaking off water", {"category", "static"}),
    ("a woman in jeans getting out of a car", {"appearance", "category", "location", "motion"}),
    ("two women chatting on a bench", {"category", "location", "static"}),
    ("the man on the motorbike performing a jump", {"category", "location", "motion"}),
    ("a grey scooter parked by the wall", {"appearance", "category", "location", "static"}),
    ("a girl brushing her hair", {"category", "static"}),
    ("the man in the hat smoking a pipe", {"appearance", "category", "static", "obj-static"}),
    ("the person bending over to pick up a box", {"category", "static", "obj-motion"}),
    ("two horses galloping side by side", {"category", "motion"}),
    ("man in grey jumpng on the bed", {"appearance", "category", "location", "motion"}),  # typos
    ("the dog is walkin in the street", {"category", "location", "motion"}),
    ("the toddler in blue climbs onto the chair", {"appearance", "category", "location", "motion"}),
    ("the kite flying high above the beach", {"category", "location", "motion"}),
    ("a woman on a horse jumping a fence", {"category", "location", "motion"}),
    ("a bird taking off from the water", {"category", "location", "motion"}),
    ("a man taking off his jacket", {"category", "static", "obj-static"}),
    ("a dog with its tongue out", {"appearance", "category"}),
    ("the car with the open door", {"appearance", "category"}),
    ("a woman holding hands with a child", {"category", "static"}),
    ("the man standing next to the girl with the balloon", {"category", "location", "static"}),
    ("the runner in first place", {"category", "location"}),
    # category
    ("the one in red", {"appearance"}),
    ("someone walking", {"category", "motion"}),
    ("a hockey player", {"category"}),
]


# Conventions read from the paper's released A2D/DAVIS labels (Bellver et al., dataset/*_RE_categorization.csv),
# checked here on REs written for these tests, not on the released sentences.
CONVENTION_CASES = [
    # a traversed object is a place ("Cat is climbing the door": location), a held one is not
    ("a squirrel climbing the fence", {"category", "location", "motion"}),
    ("a truck crossing the bridge", {"category", "location", "motion"}),
    ("a horse jumping a hedge", {"category", "location", "motion"}),
    ("a monkey climbing a rope", {"category", "motion"}),
    ("a boy climbing a pole", {"category", "motion"}),
    ("a man crossing his arms", {"category", "static"}),  # a body part is no place
    # following another object places the referent relative to it
    ("a duckling following its mother", {"category", "location", "motion"}),
    ("the calf following the cows", {"category", "location", "motion"}),
    ("the dog chasing the cat", {"category", "motion"}),  # chasing is not
    # moving around: the area moved about; a static verb with "around" locates nothing
    ("a puppy running around", {"category", "location", "motion"}),
    ("a cat looking around", {"category", "static"}),
    # "away" + object (sic, for "away from")
    ("a woman walking away the camera", {"category", "location", "motion"}),
    ("a bird flying away", {"category", "motion"}),
    # playing a sport is motion; playing an instrument is static + obj-static
    ("a girl in red playing volleyball", {"appearance", "category", "motion"}),
    ("a man playing the piano", {"category", "static", "obj-static"}),
    # fighting moves the whole body
    ("a judoka in blue fighting on the mat", {"appearance", "category", "location", "motion"}),
    # bouncing a ball moves the ball; the player's own movement is left open
    ("a kid bouncing a basketball", {"category", "obj-motion"}),
    ("the ball bouncing on the court", {"category", "location", "motion"}),
    # a thrown or bounced object's goal is no place, but a position of the player is
    ("a girl bouncing a ball in the back", {"category", "location", "obj-motion"}),
    ("a boy throwing a ball into the basket", {"category", "static", "obj-motion"}),
    # riding on a vehicle moves it; it is not the rider's place
    ("a woman riding on a bicycle", {"category", "motion", "obj-motion"}),
    ("a man sitting on a bicycle", {"category", "location", "static"}),
    # a noun-modifier -ing names a kind of thing
    ("a bowling ball rolling", {"category", "motion"}),
    ("the red racing car", {"appearance", "category"}),
    ("a rolling ball", {"category", "motion"}),
    ("a running dog", {"category", "motion"}),
    # looks: "in all black", colour + verb, coloured parts; "a light" is a thing
    ("guy in all black", {"appearance", "category"}),
    ("man in white throwing a frisbee", {"appearance", "category", "static", "obj-motion"}),
    ("a kite with red stripes", {"appearance", "category"}),
    ("a car with yellow rims", {"appearance", "category"}),
    ("a man with a red ball", {"category", "obj-static"}),
    ("a woman with a light", {"category", "obj-static"}),
    ("a dog in a blue cover", {"appearance", "category"}),
    ("woman in sunglass on the left", {"appearance", "category", "location"}),
    # "on back of the car": a position, not a body part
    ("a man sitting on back of the truck", {"category", "location", "static"}),
    ("a cat lying on its back", {"category", "static"}),
    # "with" after an object that can act belongs to that object
    ("a boy chasing a girl with the ball", {"category", "motion"}),
    ("a boy chasing a ball with a stick", {"category", "motion", "obj-static"}),
    # "there", "here": no object, no place
    ("the woman just standing there", {"category", "static"}),
    ("a boy giving a pass", {"category", "static"}),  # a pass is no object held
    ("a woman walks with her lover", {"category", "motion"}),  # company
    # "during" is a time phrase, not an -ing verb
    ("a horse trotting during the show", {"category", "motion"}),
    # manner nouns are manner only after in/on/at: "behind the line" is a place
    ("a runner waiting behind the line", {"category", "location", "static"}),
    ("children standing in line", {"category", "static"}),
    ("a dog running in circles", {"category", "motion"}),
    # "number N" before the noun is worn or painted on: appearance
    ("the number 7 horse galloping", {"appearance", "category", "motion"}),
    ("the third car", {"category", "location"}),
    # "climbing up the cage" locates like "climbing the cage"; "climbing up a rope" does not
    ("a squirrel climbing up the tree", {"category", "location", "motion"}),
    ("a boy climbing up a rope", {"category", "motion"}),
    # another's body part is a place; the referent's own is not
    ("a girl sitting on her father's shoulders", {"category", "location", "static"}),
    ("a dog lying on its side", {"category", "static"}),
    # a verb followed by a motion -ing: the activity decides ("launching paragliding")
    ("a woman launching paragliding", {"category", "motion"}),
    ("a man launching a kite", {"category", "static", "obj-motion"}),
    # dribbling: the player's motion
    ("a girl dribbling a basketball", {"category", "motion"}),
]


@pytest.mark.parametrize("reader", READERS)
@pytest.mark.parametrize("text,expected", CONVENTION_CASES)
def test_released_label_conventions(text, expected, reader):
    assert positives(text, reader) == expected


@pytest.mark.parametrize("reader", READERS)
@pytest.mark.parametrize("text,expected", CASES)
def test_rules_on_real_looking_res(text, expected, reader):
    assert positives(text, reader) == expected


# The defect classes of issue 16, each by the phrase and a second phrase of the same class
# (hand-checked against Table 1 and refcat.taxonomy.DECISIONS): (RE, categories the parse reader gives,
# categories the word reader gives where it still misreads, else None).
DEFECT_CASES = [
    # a word after a motion verb is not its object: no static, no obj-motion, the location kept
    (
        "a small bird flying fastest towards the right",
        {"appearance", "category", "location", "motion"},
        {"appearance", "category", "static", "obj-motion"},
    ),
    ("a horse galloping fastest along the fence", {"category", "location", "motion"}, None),
    (
        "a brown cat is rolling itself on the carpet",
        {"appearance", "category", "location", "motion"},
        {"appearance", "category", "location", "static", "obj-motion"},
    ),
    (
        "a boy rolling himself on the grass",
        {"category", "location", "motion"},
        {"category", "location", "static", "obj-motion"},
    ),
    # an intensifier does not break the phrase climbed
    ("girl climbing very steep stairs", {"category", "location", "motion"}, {"category", "motion"}),
    ("a cat climbing extremely tall trees", {"category", "location", "motion"}, None),
    # an -ing noun is no verb; "at the beginning of the clip" is a time
    ("a man walking at the beginning of the clip", {"category", "motion"}, {"category", "motion", "static"}),
    ("a woman dancing at the start of the video", {"category", "motion"}, None),
    # another object's verb is not the referent's
    # (both readers: a relative clause right after a verb's object is the object's)
    ("a hand is petting the dog which is running", {"category", "static", "obj-static"}, None),
    ("a man feeding the horse that is galloping", {"category", "static", "obj-static"}, None),
    # verb senses by Table 1's wording: obj-motion when another object's place changes
    ("a man shooting a football", {"category", "static", "obj-motion"}, None),
    ("a man shooting a gun", {"category", "static", "obj-static"}, None),
    ("a man throwing a football", {"category", "static", "obj-motion"}, None),
    ("a man catching a frisbee", {"category", "static", "obj-motion"}, None),
    ("a man kicking a ball", {"category", "static", "obj-motion"}, None),
    ("a woman pushing a cart", {"category", "motion", "obj-motion"}, None),
    ("a man pulling a sled", {"category", "motion", "obj-motion"}, None),
    ("a boy carrying a box", {"category", "obj-motion"}, None),
    ("a man riding a horse", {"category", "motion", "obj-motion"}, None),
    ("a boy playing with a ball", {"category", "static", "obj-motion"}, None),
    ("a dog playing with a toy", {"category", "static", "obj-motion"}, None),
    # a thing does not act on what it holds
    ("the glass with water", {"category"}, None),
    ("the bottle with milk", {"category"}, None),
    ("a man with a camera", {"category", "obj-static"}, None),
]


@pytest.mark.parametrize("text,parsed,worded", DEFECT_CASES)
def test_defect_classes(text, parsed, worded):
    assert positives(text, "parse") == parsed
    assert positives(text, "words") == (parsed if worded is None else worded)


def test_the_parse_reader_is_the_default():
    assert DEFAULT_READER == "parse"
    assert positives("girl climbing very steep stairs") == {"category", "location", "motion"}


def test_unknown_reader_is_a_usage_error():
    with pytest.raises(UsageError, match="unknown reader"):
        categorize("a dog", reader="lstm")


@pytest.mark.parametrize("reader", READERS)
def test_categorize_all_is_categorize_of_each(reader):
    texts = [t for t, _ in CASES[:20]] + [t for t, _, _ in DEFECT_CASES]
    for text, batch in zip(texts, categorize_all(texts, reader)):
        one = categorize(text, reader=reader)
        assert (batch.labels, batch.evidence, batch.confidence) == (one.labels, one.evidence, one.confidence)


# --- confidence -----------------------------------------------------------------------------------------


def test_confidence_is_the_calibrated_value_of_each_reading_kind():
    for text in ("a man walking", "the dog next to the man walking", "a small bird flying fastest towards the right"):
        for reader in READERS:
            result = categorize(text, reader=reader)
            assert set(result.confidence) == set(CATEGORY_NAMES)
            for c in CATEGORY_NAMES:
                kind = reading_kind(result.labels[c], result.doubts[c])
                assert result.confidence[c] == CONFIDENCE[reader][c][kind]
                assert 0.0 <= result.confidence[c] <= 1.0


def test_plain_readings_are_surer_than_doubted_ones():
    for reader in READERS:
        for c in CATEGORY_NAMES:
            table = CONFIDENCE[reader][c]
            assert set(table) == set(KINDS)
            assert table["no"] >= table["no?"], (reader, c)


def test_doubts_name_what_the_reading_hinged_on():
    walking = categorize("a man walking", reader="parse")
    assert all(d == [] for d in walking.doubts.values())  # a plain reading: nothing to doubt
    assert walking.needs_review(0.5) == []
    dog = categorize("the dog next to the man walking", reader="words")
    assert dog.doubts["motion"] == ["attachment"] and not dog.labels["motion"]  # the man walks: the dog's "no?"
    for reader in READERS:  # the running is the dog's: the relative clause after the verb's object
        assert categorize("a hand is petting the dog which is running", reader=reader).doubts["motion"] == [
            "attachment"
        ]
    assert categorize("a guy with blue shirt is watching a car rolling outside", reader="parse").doubts["motion"] == [
        "attachment",
        "readers",
    ]  # the parse gave the rolling to the car, where the words alone give it to the guy
    assert categorize("a man with a camera").doubts["obj-static"] == ["with-phrase"]


def test_needs_review_lists_categories_below_the_threshold():
    result = categorize("the dog next to the man walking", reader="words")
    motion = result.confidence["motion"]
    assert motion < min(v for c, v in result.confidence.items() if c != "motion")  # the one doubted reading
    assert result.needs_review(motion) == []  # strictly below
    assert result.needs_review(motion + 1e-9) == ["motion"]
    assert result.needs_review(0.0) == []
    assert result.needs_review(1.01) == list(CATEGORY_NAMES)


@pytest.mark.parametrize(
    "text,absent",
    [
        ("a man on the left", "motion"),  # a location is no action
        ("a parked car", "motion"),  # a parked car does not move
        ("brown dog", "location"),
        ("dog in the middle", "appearance"),
        ("white car", "location"),
        ("a man riding a bike", "static"),
        ("a man holding a bike", "obj-motion"),
        ("a woman with her back to the camera", "obj-static"),  # a body part is no object
        ("a woman carrying a baby on her back", "location"),  # a phrase on a body part is no place
        ("gold fish on the right", "appearance"),  # "gold fish" names the fish
        ("a man first walking then running", "location"),  # an ordinal adverb, not a position
        ("a dog chased by a cat", "location"),  # "by" + agent of a passive
    ],
)
def test_negatives(text, absent):
    assert not categorize(text).labels[absent]


def test_evidence_words_and_character_spans():
    text = "Player in blue shirt  passing a basketball on left"
    result = categorize(text)
    assert result.evidence["appearance"] == ["in blue shirt"]
    assert result.evidence["location"] == ["on left"]
    assert result.evidence["obj-motion"] == ["passing a basketball"]
    assert result.evidence["static"] == ["passing"]
    assert result.evidence["category"] == ["Player"]
    assert result.spans["category"] == [(0, 6)]
    assert result.spans["appearance"] == [(7, 20)]
    for cat in CATEGORY_NAMES:
        assert [text[a:b] for a, b in result.spans[cat]] == result.evidence[cat]
        assert bool(result.evidence[cat]) == result.labels[cat]


def test_negated_motion_evidence_includes_the_negation():
    assert categorize("a car that is not moving").evidence["static"] == ["not moving"]


def test_stray_spaces_mixed_case_quotes_and_slashes():
    assert positives("  The Man   in  RED is running  ") == {"appearance", "category", "motion"}
    assert positives('"the girl" who\'s dancing') == {"category", "motion"}
    assert positives("a man/woman running") == {"category", "motion"}
    assert positives("the 2nd car") == {"category", "location"}
    assert positives("") == set() and categorize("").information == "minimal"


def test_tokenize_splits_contractions_and_keeps_offsets():
    toks = tokenize("the dog isn't moving")
    assert [t.text for t in toks] == ["the", "dog", "is", "n't", "moving"]
    assert (toks[3].start, toks[3].end) == (10, 13)


@pytest.mark.parametrize(
    "form,lemma",
    [
        ("running", "run"),
        ("riding", "ride"),
        ("lying", "lie"),
        ("parked", "park"),
        ("carried", "carry"),
        ("stopped", "stop"),
        ("flew", "fly"),
        ("walking", "walk"),
        ("building", None),
        ("feathered", None),
        ("walkin", "walk"),
        ("jumpng", "jump"),
        ("begin", None),
        ("satin", None),
        ("robin", None),
    ],
)
def test_verb_lemma(form, lemma):
    assert verb_lemma(form) == lemma


def test_information_heuristic():
    swan = categorize("a black feathered swan")
    assert categorize("a black feathered swan", trivial=True).information == "redundant"  # released label
    assert swan.information == "minimal"  # one cue group when the difficulty is not known trivial
    assert categorize("the child is crawling up onto the sofa").information == "redundant"  # released label
    assert categorize("the dog", trivial=True).information == "minimal"
    assert categorize("the one in red", trivial=True).information == "minimal"  # no category: one cue needed
    labels = dict.fromkeys(CATEGORY_NAMES, False) | {"category": True, "motion": True, "obj-motion": True}
    assert information_label(labels) == "minimal"  # motion and obj-motion are one group


def _scores(path):
    df = pd.read_csv(path)
    pred = {c: [int(categorize(t).labels[c]) for t in df.ref_exp] for c in CATEGORY_NAMES}
    out = {}
    for c in CATEGORY_NAMES:
        y, p = df[c].tolist(), pred[c]
        tp = sum(a == 1 and b == 1 for a, b in zip(y, p))
        wrong = sum(a != b for a, b in zip(y, p))
        out[c] = (2 * tp / (2 * tp + wrong), cohen_kappa(y, p))
    return out


@pytest.mark.parametrize(
    "name",
    [
        "categorize_eval_hand_labelled.csv",
        "categorize_heldout_hand_labelled.csv",
        "categorize_blind_hand_labelled.csv",
        "categorize_blind2_hand_labelled.csv",
        "categorize_blind3_hand_labelled.csv",
        "categorize_blind4_hand_labelled.csv",
        "categorize_blind5_hand_labelled.csv",
        "categorize_blind6_hand_labelled.csv",
    ],
)
def test_agreement_with_hand_labels(name):
    """The hand-labelled sets (labels written before the rules): the paper's annotator-level targets."""
    scores = _scores(DATA / name)
    for cat in ("appearance", "location", "motion", "static"):
        f1, kappa = scores[cat]
        assert f1 >= 0.9 and kappa >= 0.83, (cat, f1, kappa)
    for cat in ("obj-motion", "obj-static"):  # few positives a set, and readings that differ more
        assert scores[cat][0] >= 0.65, (cat, scores[cat])


def test_hand_labelled_sets_are_large_and_valid():
    df = pd.concat(
        [
            pd.read_csv(DATA / n)
            for n in (
                "categorize_eval_hand_labelled.csv",
                "categorize_heldout_hand_labelled.csv",
                "categorize_blind_hand_labelled.csv",
                "categorize_blind2_hand_labelled.csv",
                "categorize_blind3_hand_labelled.csv",
                "categorize_blind4_hand_labelled.csv",
                "categorize_blind5_hand_labelled.csv",
                "categorize_blind6_hand_labelled.csv",
            )
        ]
    )
    assert len(df) >= 600 and df.ref_exp.is_unique
    assert set(df[list(CATEGORY_NAMES)].stack().unique()) == {0, 1}


@pytest.mark.parametrize(
    "text, category, evidence",
    [
        ("a little crème dog sitting down on the left side of the picture", "appearance", "crème"),
        ("a little crème dog sitting down on the left side of the picture", "location", "on the left side"),
        ("a little crème dog sitting down on the left side of the picture", "static", "sitting"),
        ("swan near the café", "location", "near the café"),
        ("a naïve man walking", "motion", "walking"),
    ],
)
def test_accented_words_are_whole_words(text, category, evidence):
    """Latin-1 REs (DAVIS annot2) keep their accents: tokens must not split at them."""
    result = categorize(text)
    assert result.labels[category]
    assert evidence in result.evidence[category]


# Out-of-sample defect classes (issue 16, the dev half of the second held-out set), each shown on phrases
# of its own; both readers read them alike. (RE, the categories that must be positive.)
SCOPE_AND_OWNER_CASES = [
    # a place under a negation is where the referent is not; a negated look still describes the looks
    ("a person who is not on the sidewalk", {"category"}),
    ("a chair neither next to the wall nor close to the camera", {"category"}),
    ("a woman who is not in the kitchen and is holding a cup", {"category", "static", "obj-static"}),
    ("a car that is not moving in the parking lot", {"category", "static", "location"}),
    ("a person who is neither sitting nor walking", {"category", "static"}),
    ("a dog that is not brown", {"category", "appearance"}),
    # a passive's agent is another object: no place, and the verbs after it are the agent's
    ("a bag being picked up by a woman", {"category", "motion"}),
    ("a cap worn by a boy running on the beach", {"category"}),
    # so is a verb of wearing after someone else, as other verbs are
    ("the boy next to the woman wearing a hat", {"category", "location"}),
    # "in the" + a colour is worn, "in the dark" is a place; a cover is no garment, a place to be on
    ("a woman in the yellow", {"category", "appearance"}),
    ("a cat in the dark", {"category", "location"}),
    ("a man lying on a red cover", {"category", "static", "location"}),
    ("a dog in green cover", {"category", "appearance"}),
    ("the empty bottle", {"category", "appearance"}),
    # the way the referent faces is an orientation, not a place
    ("a horse facing left", {"category", "static"}),
    ("a woman facing towards the window", {"category", "static"}),
    ("a dog facing the camera on the left", {"category", "static", "location"}),
    # "adult" before another noun is an age, alone it is the category
    ("an adult horse", {"category", "appearance"}),
    ("the adult is walking", {"category", "motion"}),
    # objects perceived or recorded are not acted on; a person played with is company
    ("a woman photographing a building", {"category", "static"}),
    ("a dog playing a child", {"category", "static"}),
    ("a man walking with two cyclists", {"category", "motion"}),
    # right after a motion verb, "with" + an object takes it along: obj-motion
    ("a boy running with the ball", {"category", "motion", "obj-motion"}),
]


@pytest.mark.parametrize("reader", READERS)
@pytest.mark.parametrize("text,expected", SCOPE_AND_OWNER_CASES)
def test_negation_scope_passive_agents_and_word_classes(text, expected, reader):
    assert positives(text, reader) == expected


# The third round's general rules (all of heldout2 as development data), each on phrases of its own; a control
# beside a rule where the rule must not reach.
PARTS_OWNERS_AND_PURPOSES = [
    # two-word looks and nouns; species names; whole-body movement; a letter typed three times
    ("a half naked boy running", {"appearance", "category", "motion"}),
    ("the back pack on the bench", {"category", "location"}),  # one noun: no "back" position
    ("a giant panda eating bamboo", {"category", "static", "obj-static"}),
    ("a giant dog", {"appearance", "category"}),
    ("a girl doing gymnastics on the mat", {"category", "motion", "location"}),
    ("a dog is walkkking", {"category", "motion"}),
    ("an incomplete puzzle", {"appearance", "category"}),
    ("a horse with lines", {"appearance", "category"}),
    # "have" + a noun phrase is "with" it; a vehicle, like any thing, acts on nothing it has
    ("a truck that has a red bumper", {"appearance", "category"}),
    ("a bike with a basket", {"category"}),
    ("a girl who has a kite", {"category", "obj-static"}),
    # "like" is a likeness, no verb
    ("a wolf like dog on the sofa", {"category", "location"}),
    # a light verb + a noun + "of" acts on that object; opening moves what is opened
    ("a nurse taking care of an old man", {"category", "static", "obj-static"}),
    ("a woman closing the window", {"category", "static", "obj-motion"}),
    # a part in a state, or something on the referent, is how it looks
    ("a suitcase with the lid open", {"appearance", "category"}),
    ("a box with a sticker on it", {"appearance", "category"}),
    # a part "with" right after another thing is that thing's; clothing and a place's "with" stay the referent's
    ("a boy on a scooter with red handles", {"category", "location"}),
    ("a boy on a scooter with a red helmet", {"appearance", "category", "location"}),
    ("a motorbike next to the road with a yellow seat", {"appearance", "category", "location"}),
    ("a sink embedded in the grey counter", {"category", "location"}),  # the counter's colour
    # whose: a relative clause after a verb's object, another's looks, a body part "with" someone else's
    ("a woman walking a dog that is brown", {"category", "motion", "obj-motion"}),
    ("the cat next to a girl in a pink dress", {"category", "location"}),
    ("a horse ridden by a woman in a red coat", {"category", "motion"}),
    ("a cup on the table with a hand lifting it", {"category", "location"}),
    # two referents named together before any verb share it
    ("a man in black and a dog running on the beach", {"appearance", "category", "motion", "location"}),
    # a purpose is not said to happen; a negated motion's path is denied with it; being seen is nothing done
    ("a dog jumping to catch a frisbee", {"category", "motion"}),
    ("a bus that is not driving towards the camera", {"category", "static"}),
    ("a car that can be seen through the fence", {"category", "location"}),
]


@pytest.mark.parametrize("reader", READERS)
@pytest.mark.parametrize("text,expected", PARTS_OWNERS_AND_PURPOSES)
def test_parts_owners_and_purposes(text, expected, reader):
    assert positives(text, reader) == expected
