"""Made-up names and the sentences the scale data's people write, chosen by the generator's random
number generator so that the same seed always writes the same words."""

from schools.models import School

FIRST_NAMES = """Aaliyah Adam Aisha Alex Alfie Amara Amelia Anil Archie Ava Ben Bethan Callum
Charlotte Chloe Chris Daniel Deepa Dylan Eilidh Eleanor Ella Emily Ethan Fatima Finn Freya George
Grace Hannah Harry Hassan Isla Jack Jacob Jade James Jasmine Joseph Kai Katie Layla Leo Liam Lily
Lucy Maya Megan Mia Mohammed Noah Olivia Oscar Owen Priya Rhys Rosie Ruby Ryan Sam Sara Sofia Thomas
Tom Yusuf Zara Zoe""".split()
SURNAMES = """Adams Ahmed Ali Allen Anderson Bailey Baker Begum Bell Bennett Brown Campbell Carter
Chapman Clarke Collins Cooper Cox Davies Davis Edwards Evans Fisher Green Griffiths Hall Harris
Hill Holmes Hughes Hussain Jackson James Jenkins Johnson Jones Kaur Khan King Lewis Lloyd Marshall
Martin Mason Mills Mitchell Moore Morgan Morris Murphy Owen Palmer Parker Patel Phillips Powell
Price Richards Roberts Robinson Rogers Scott Shaw Singh Smith Stevens Taylor Thomas Thompson Turner
Walker Ward Watson White Williams Wilson Wood Wright Young""".split()

# Place names are made of two parts ("Ash" + "field"): enough for every school of a large authority.
PLACE_STARTS = """Ash Beech Birch Bram Brook Cedar Chester Clay Cole Elm Fair Fern Glen Green Hazel
Heath High Holly Kings Lark Lea Long Maple Marsh Meadow Mill Moor New North Oak Queens Red Rose
Sand South Stone Thorn Ward West Whit Wil Wood""".split()
PLACE_ENDS = """bank bourne bridge brook bury by combe croft dale den field ford gate green grove
ham hill hurst lands leigh mead mere mount stead ton vale well wick wood worth""".split()
AUTHORITY_KINDS = ["Council", "County Council", "Borough Council", "City Council"]

PHASE_NAMES = {
    School.Phase.NURSERY: ["Nursery School"],
    School.Phase.INFANT: ["Infant School", "C of E Infant School"],
    School.Phase.JUNIOR: ["Junior School", "C of E Junior School"],
    School.Phase.PRIMARY: [
        "Primary School",
        "Primary Academy",
        "C of E Primary School",
        "Catholic Primary School",
        "Community Primary School",
    ],
    School.Phase.SECONDARY: ["Academy", "High School", "School", "Community College"],
    School.Phase.ALL_THROUGH: ["All-through School", "Academy (3 to 18)"],
    School.Phase.SPECIAL: ["Special School", "School for Communication and Interaction"],
    School.Phase.ALTERNATIVE: ["Pupil Referral Unit", "Alternative Provision Academy"],
}
# (phase, how many in 100 schools, pupils from, to), roughly as England's schools are.
PHASES = [
    (School.Phase.NURSERY, 2, 40, 120),
    (School.Phase.INFANT, 9, 90, 360),
    (School.Phase.JUNIOR, 7, 120, 480),
    (School.Phase.PRIMARY, 62, 60, 630),
    (School.Phase.SECONDARY, 14, 500, 1800),
    (School.Phase.ALL_THROUGH, 1, 900, 2200),
    (School.Phase.SPECIAL, 4, 40, 260),
    (School.Phase.ALTERNATIVE, 1, 15, 90),
]
ESTABLISHMENT_TYPES = [
    "Academy converter",
    "Community school",
    "Voluntary aided school",
    "Free school",
]
STREETS = ["Church Road", "School Lane", "Station Road", "Park Avenue", "Mill Lane", "High Street"]

# What the self-review, reviews and reports say: a few sentences, picked and joined.
PRACTICE = [
    "Every pupil's progress is reviewed each half term by the teacher and the inclusion lead.",
    "Pupils with SEND have a one-page profile, written with them and their families.",
    "Teaching assistants are deployed to classes by need, and trained termly.",
    "The school council meets fortnightly and has changed the behaviour policy this year.",
    "Leaders track attendance daily and call families on the first morning of absence.",
    "Lessons are planned so that every pupil can take part, with adapted resources where needed.",
    "Parents are invited to termly coffee mornings and a family learning course each spring.",
    "Governors have an inclusion link who visits each term and reports to the full board.",
    "Pupils new to English are paired with a buddy and have daily language sessions.",
    "The pastoral team runs nurture groups at lunchtime for pupils who find the day hard.",
]
EVIDENCE_TEXT = [
    "Minutes of pupil progress meetings and the provision map.",
    "Tracking data for each group, with the actions taken.",
    "Pupil voice surveys from the autumn and summer terms.",
    "Governors' visit reports and the inclusion policy.",
    "Photos of the learning environment and displays.",
]
STRENGTHS = [
    "Inclusion is led from the top and shared by every member of staff.",
    "Pupils speak confidently about how the school helps everyone to learn.",
    "Families feel welcome and say that staff listen to them.",
    "Provision for pupils with SEND is well planned and regularly reviewed.",
]
DEVELOPMENT = [
    "Involve more families in the life of the school.",
    "Use the tracking data to compare the progress of groups over time.",
    "Give the school council a bigger part in planning.",
    "Share the best practice between year groups.",
]
MENTOR_COMMENTS = [
    "Agreed: the evidence shows this clearly.",
    "Strong practice; the pupil voice evidence could be stronger.",
    "I have adjusted the rating: the tracking shows this is still developing.",
    "",
]
TARGET_ACTIONS = [
    "Family learning sessions at times working parents can come to.",
    "Termly pupil progress meetings for every group, with actions recorded.",
    "Training for teaching assistants on adapting resources.",
    "Governors' inclusion link visits each term, reported to the full board.",
    "A pupil voice survey each term, with the results shared with pupils.",
]
EVIDENCE_TITLES = [
    "Inclusion policy",
    "Provision map",
    "Pupil voice survey results",
    "Attendance tracking",
    "Governors' visit report",
    "Parents' questionnaire",
    "Behaviour policy",
    "SEND information report",
    "Staff training log",
    "Lesson observation summary",
    "Photos of the sensory room",
    "Transition plan",
    "School council minutes",
    "Family learning programme",
    "Accessibility plan",
]
NOTE_TEXT = [
    "Pupils described how staff help them when they find work hard, with clear examples.",
    "Staff spoke about the training they have had and how it changed their teaching.",
    "Parents said the school listens and responds quickly when they raise a concern.",
    "Governors know the school's inclusion priorities and how they are checked.",
    "The lesson was well adapted: every pupil took part and made progress.",
]
OBSERVATION_SUBJECTS = ["English", "Mathematics", "Science", "PE", "Art", "History"]
REPORT_CONTEXT = (
    "{school} serves a mixed community. The moderators met the head teacher, the inclusion lead, "
    "pupils from every year group, parents and two governors, and observed four lessons."
)
UPDATE_PROGRESS = (
    "This year {school} has shared its work on “{element}” with its partner schools, and the "
    "cluster's staff visited to see it in practice."
)
UPDATE_PLANS = "Next year: a joint enquiry with the cluster, reported at the summer meeting."
RATIFICATION_SUMMARY = (
    "The school leads its cluster with energy: partner schools' staff describe visits that "
    "changed their practice."
)
PRIORITY_ACTIONS = [
    "Publish the year's enquiry with the cluster.",
    "Open the family learning programme to the partner schools' parents.",
    "Train two more staff to lead the cluster's lesson study.",
]
RATIONALE = "The report shows the evidence for the panel's decision on every element."
PORTFOLIO_RETURNED = "The portfolio has no evidence from parents: add it before the visit."
RETURN_COMMENT = "Please add the evidence for elements 4 and 8 before submitting again."
WORKSHOP_TITLES = [
    "Building an inclusive classroom",
    "Working with parents and carers",
    "Pupil voice in practice",
    "Preparing your portfolio of evidence",
    "Leading inclusion as a governor",
    "Adapting teaching for pupils with SEND",
]
ACTIVITY_TITLES = [
    "Cluster meeting: transition to secondary",
    "Joint lesson study on reading",
    "Workshop for SENCOs on pupil voice",
    "Shared training day on attendance",
]
RESEARCH_QUESTIONS = [
    "How does shared teaching across the cluster help pupils move from primary to secondary?",
    "Which parts of our nurture provision make the most difference to attendance?",
    "How do flexible learning spaces change pupils' confidence in Year 7?",
]
RESEARCH_STEPS = [
    "Map what the cluster already does",
    "Survey pupils before and after the change",
    "Trial the approach with two classes",
    "Write up the findings and share them with the network",
]


def sentences(rng, pool, count) -> str:
    return " ".join(rng.sample(pool, count))
