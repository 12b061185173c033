"""Every text a person reads on the public pages, in French (the default) and English."""

import re
from collections.abc import Mapping

from rencontres_contracts.events.common import Language

LANGUAGES: tuple[Language, ...] = ("fr", "en")
DEFAULT: Language = "fr"

FR: dict[str, str] = {
    "site.name": "Rencontres — IMT Mines Alès et ENSCM",
    "site.skip": "Aller au contenu",
    "site.switch": "English",
    "site.footer": "Forum entreprises et incubateur commun de l'IMT Mines Alès et de l'ENSCM.",
    "site.home": "Accueil",
    # landing
    "landing.title": "Forum entreprises et incubateur commun",
    "landing.intro": "Que souhaitez-vous faire ?",
    "landing.stand.title": "Réserver un stand entreprise",
    "landing.stand.text": "Un stand entier sur un campus, pour une journée : {price} HT.",
    "landing.pool.title": "Ouvrir un stand partagé",
    "landing.pool.text": (
        "Pour les PME : partagez un stand à {min} à {max} entreprises et divisez son prix. "
        "Vous recevrez un lien d'invitation à transmettre aux autres."
    ),
    "landing.pool.join": (
        "On vous a invité sur un stand partagé ? Ouvrez le lien d'invitation qu'on vous a transmis."
    ),
    "landing.student.title": "Obtenir un pass étudiant",
    "landing.student.text": "Gratuit, pour venir au forum rencontrer les entreprises.",
    "landing.incubator.title": "Candidater à l'incubateur commun",
    "landing.incubator.text": "{call}, ouvert jusqu'au {closes}.",
    # form pages
    "form.stand.title": "Réserver un stand entreprise",
    "form.stand.intro": (
        "Un stand coûte {price} HT (TVA 20 %). La facture vous est envoyée par email."
    ),
    "form.pool_open.title": "Ouvrir un stand partagé",
    "form.pool_open.intro": (
        "Vous prenez la première place d'un stand partagé. Après l'envoi, une page vous donne le "
        "lien d'invitation à transmettre aux autres entreprises ({min} à {max} en tout)."
    ),
    "form.pool_join.title": "Rejoindre un stand partagé",
    "form.pool_join.intro": "Vous rejoignez le stand partagé « {name} » ({edition}).",
    "form.student.title": "Pass étudiant",
    "form.student.intro": "Le pass est gratuit. Il vous est envoyé par email.",
    "form.incubator.title": "Candidature à l'incubateur commun",
    "form.incubator.intro": "{call}. L'équipe de l'incubateur étudie chaque candidature.",
    "form.required": "Les champs marqués d'un astérisque (*) sont obligatoires.",
    "form.required_mark": "obligatoire",
    "form.optional": "facultatif",
    "form.submit": "Envoyer",
    "form.submit.pool_open": "Ouvrir le stand partagé",
    "form.submit.pool_join": "Rejoindre le stand partagé",
    "form.honeypot": "Laissez ce champ vide",
    "form.errors.title": "Le formulaire contient des erreurs",
    "form.errors.one": "Corrigez le champ suivant puis envoyez à nouveau :",
    "form.errors.many": "Corrigez les {count} champs suivants puis envoyez à nouveau :",
    "form.errors.page_title": "Erreur : {title}",
    "form.errors.prefix": "Erreur :",
    "form.errors.item": "{label} : {message}",
    # fieldsets
    "legend.edition": "Date et campus",
    "legend.pool": "Stand partagé",
    "legend.contact": "Vos coordonnées",
    "legend.organisation": "Votre entreprise",
    "legend.address": "Adresse de facturation",
    "legend.student": "Vos études",
    "legend.startup": "Votre projet",
    "legend.consent": "Consentement",
    # fields
    "field.edition_id": "Choisissez une date et un campus",
    "field.join_waiting_list": "Si cette date est complète, m'inscrire sur la liste d'attente",
    "field.pool_name": "Nom du stand partagé",
    "field.pool_name.hint": "Par exemple : PME du Gard — chimie verte.",
    "field.contact.name": "Nom et prénom",
    "field.contact.email": "Adresse email",
    "field.contact.email.hint": "Nous y envoyons la confirmation et votre lien personnel.",
    "field.contact.phone": "Téléphone mobile",
    "field.contact.phone.hint": "Par exemple 06 12 34 56 78 ou +33 6 12 34 56 78.",
    "field.contact.sms_consent": (
        "J'accepte de recevoir des SMS sur l'avancement de mon inscription"
    ),
    "field.organisation.legal_name": "Raison sociale",
    "field.organisation.siret": "Numéro SIRET",
    "field.organisation.siret.hint": "14 chiffres, tels qu'ils figurent sur votre extrait Kbis.",
    "field.organisation.vat_number": "Numéro de TVA intracommunautaire",
    "field.organisation.vat_number.hint": "Par exemple FR44732829320.",
    "field.organisation.billing_address.line1": "Adresse",
    "field.organisation.billing_address.line2": "Complément d'adresse",
    "field.organisation.billing_address.postal_code": "Code postal",
    "field.organisation.billing_address.city": "Ville",
    "field.organisation.billing_address.country": "Code pays",
    "field.organisation.billing_address.country.hint": "Deux lettres, par exemple FR.",
    "field.student.school": "École",
    "field.student.school.choose": "Choisissez votre école",
    "field.student.school.imt_mines_ales": "IMT Mines Alès",
    "field.student.school.enscm": "ENSCM (Chimie Montpellier)",
    "field.student.school.other": "Autre école",
    "field.student.school_other": "Nom de l'école, si autre",
    "field.student.programme": "Formation",
    "field.student.programme.hint": "Par exemple : cycle ingénieur, génie chimique.",
    "field.student.year": "Année d'études",
    "field.student.year.hint": "Un nombre de 1 à 8.",
    "field.startup.project_name": "Nom du projet",
    "field.startup.founders": "Fondatrices et fondateurs",
    "field.startup.founders.hint": "Un nom par ligne, six au plus.",
    "field.startup.description": "Description du projet",
    "field.startup.description.hint": (
        "Au moins 20 caractères : le problème, la solution, qui paie."
    ),
    "field.startup.stage": "Où en est le projet ?",
    "field.startup.stage.choose": "Choisissez une étape",
    "field.startup.stage.idea": "Idée",
    "field.startup.stage.prototype": "Prototype",
    "field.startup.stage.first_customers": "Premiers clients",
    "field.startup.stage.revenue": "Chiffre d'affaires régulier",
    "field.startup.website": "Site web",
    "field.startup.website.hint": "Commençant par https://",
    "field.data_consent": "J'accepte le traitement de ces données pour mon inscription",
    "consent.text": (
        "Les écoles organisatrices utilisent ces données uniquement pour gérer votre "
        "inscription, la facturation et vous tenir informé. Elles sont conservées un an après "
        "l'événement. Vous pouvez demander leur effacement à tout moment."
    ),
    "consent.version": "Version du texte : {version}",
    # field errors
    "error.missing": "Ce champ est obligatoire.",
    "error.missing.choice": "Choisissez une option.",
    "error.consent": "Vous devez accepter le traitement des données pour vous inscrire.",
    "error.too_long": "Ce texte est trop long : {max} caractères au plus.",
    "error.too_short": "Ce texte est trop court : {min} caractères au moins.",
    "error.email": "Saisissez une adresse email valide, par exemple nom@exemple.fr.",
    "error.siret": (
        "Ce numéro SIRET n'est pas valide : il compte 14 chiffres et une clé de contrôle. "
        "Recopiez-le depuis votre extrait Kbis."
    ),
    "error.phone": "Ce numéro de téléphone n'est pas valide. Écrivez-le comme 06 12 34 56 78.",
    "error.vat": "Un numéro de TVA commence par le code pays, par exemple FR44732829320.",
    "error.postal_code": "Saisissez un code postal valide, par exemple 30100.",
    "error.country": "Saisissez le code pays en deux lettres majuscules, par exemple FR.",
    "error.website": "Saisissez une adresse web commençant par https://",
    "error.characters": "Ce texte contient des caractères non autorisés (< ou >).",
    "error.number": "Saisissez un nombre entier.",
    "error.range": "Saisissez un nombre entre {min} et {max}.",
    "error.founders": "Indiquez entre 1 et 6 noms, un par ligne.",
    "error.invalid": "Cette valeur n'est pas valide.",
    "refused.edition_full": (
        "Il n'y a plus de place à cette date. "
        "Cochez la liste d'attente ou choisissez une autre date."
    ),
    "refused.no_stand_to_share": (
        "Il ne reste aucun stand à partager à cette date. Choisissez une autre date ou inscrivez-"
        "vous sur la liste d'attente d'un stand entier."
    ),
    "refused.edition_closed": "Les inscriptions pour cette date sont closes.",
    "refused.invitation_unknown": "Ce lien d'invitation ne correspond à aucun stand partagé.",
    "refused.pool_closed": "Ce stand partagé est complet ou fermé.",
    "refused.call_closed": "L'appel à candidatures de l'incubateur n'est pas ouvert en ce moment.",
    "refused.try_again": "L'enregistrement a échoué. Réessayez dans un instant.",
    "refused.generic": "Votre demande n'a pas pu être acceptée.",
    # status page
    "invoice.title": "Factures",
    "invoice.number": "Numéro",
    "invoice.amount": "Montant TTC",
    "invoice.due_on": "À payer avant le",
    "invoice.state": "Paiement",
    "invoice.paid": "payée",
    "invoice.lapsed": "non payée à temps : réservation annulée",
    "invoice.unpaid": "reste à payer : {balance}",
    "invoice.pdf": "Télécharger la facture {number} (PDF)",
    "invoice.how_to_pay": "Payer par virement",
    "invoice.holder": "Bénéficiaire",
    "invoice.reference": "Référence à indiquer",
    "invoice.credit_note": "Avoir {number} : {amount}",
    "status.title": "Votre inscription {reference}",
    "status.new.title": "Merci, votre demande est bien enregistrée",
    "status.new.text": (
        "Un email de confirmation part vers {email}. Il contient le lien personnel de cette page : "
        "gardez-le pour suivre ou annuler votre inscription."
    ),
    "status.new.waitlisted": (
        "Cette date est complète : vous êtes sur la liste d'attente. Si une place se libère, "
        "nous vous l'offrons par email et vous aurez {hours} heures pour l'accepter."
    ),
    "status.reference": "Référence",
    "status.offer": "Inscription",
    "status.edition": "Date et campus",
    "status.state": "État",
    "status.organisation": "Entreprise",
    "status.pool": "Stand partagé",
    "status.pool.members": "{name} : {members} entreprise(s) sur {max}",
    "status.invitation.title": "Invitez les autres entreprises",
    "status.invitation.text": (
        "Transmettez ce lien aux entreprises qui partagent le stand avec vous. "
        "Le stand doit réunir au moins {min} entreprises avant le {deadline}."
    ),
    "status.invitation.label": "Lien d'invitation à copier",
    "status.offered_until": "Une place vous est offerte jusqu'au {until}.",
    "status.accept": "Accepter la place",
    "status.cancel": "Annuler mon inscription",
    "status.withdraw": "Retirer ma candidature",
    "status.cancel.confirm.title": "Confirmer l'annulation",
    "status.cancel.confirm.text": (
        "Voulez-vous vraiment annuler l'inscription {reference} ? Cette action est définitive : "
        "la place sera proposée à quelqu'un d'autre."
    ),
    "status.cancel.confirm.yes": "Oui, annuler",
    "status.cancel.confirm.no": "Non, revenir à mon inscription",
    "status.cancelled.done": "Votre inscription est annulée.",
    "status.accepted.done": "La place est à vous.",
    "status.transition_refused": "Ce n'est plus possible : l'inscription est {status}.",
    "status.reserved": "réservée, en attente de paiement",
    "status.confirmed": "confirmée",
    "status.waitlisted": "sur liste d'attente",
    "status.offered": "place offerte, à accepter",
    "status.submitted": "candidature reçue",
    "status.under_review": "candidature en cours d'examen",
    "status.accepted": "candidature acceptée",
    "status.rejected": "candidature non retenue",
    "status.withdrawn": "candidature retirée",
    "status.cancelled": "annulée",
    "status.placing": "en cours d'enregistrement",
    "status.erased": "effacée",
    # other pages
    "duplicate.title": "Vous êtes déjà inscrit",
    "duplicate.text": (
        "Si cette adresse email est déjà inscrite pour cette offre et cette date, le lien "
        "personnel de son inscription vient de lui être envoyé par email."
    ),
    "thanks.title": "Merci",
    "thanks.text": "Votre demande est bien enregistrée sous la référence {reference}.",
    "csrf.title": "Le formulaire a expiré",
    "csrf.text": (
        "Pour votre sécurité, ce formulaire n'est plus valable (il est trop ancien ou les cookies "
        "sont bloqués). Rechargez le formulaire et envoyez-le à nouveau."
    ),
    "csrf.reload": "Recharger le formulaire",
    "notfound.title": "Page introuvable",
    "notfound.text": "Ce lien n'est pas valide ou n'existe plus. Vérifiez qu'il est complet.",
    "back.home": "Retour à l'accueil",
}

EN: dict[str, str] = {
    "site.name": "Rencontres — IMT Mines Alès and ENSCM",
    "site.skip": "Skip to content",
    "site.switch": "Français",
    "site.footer": "Company forum and joint incubator of IMT Mines Alès and ENSCM.",
    "site.home": "Home",
    "landing.title": "Company forum and joint incubator",
    "landing.intro": "What would you like to do?",
    "landing.stand.title": "Book a company stand",
    "landing.stand.text": "A whole stand on one campus, for one day: {price} excl. VAT.",
    "landing.pool.title": "Open a shared stand",
    "landing.pool.text": (
        "For SMEs: share one stand between {min} and {max} companies and split its price. "
        "You get an invitation link to pass on to the others."
    ),
    "landing.pool.join": ("Invited to a shared stand? Open the invitation link you were given."),
    "landing.student.title": "Get a student pass",
    "landing.student.text": "Free, to come to the forum and meet the companies.",
    "landing.incubator.title": "Apply to the joint incubator",
    "landing.incubator.text": "{call}, open until {closes}.",
    "form.stand.title": "Book a company stand",
    "form.stand.intro": "A stand costs {price} excl. VAT (VAT 20%). The invoice is sent by email.",
    "form.pool_open.title": "Open a shared stand",
    "form.pool_open.intro": (
        "You take the first seat of a shared stand. After sending, a page gives you the "
        "invitation link to pass on to the other companies ({min} to {max} in all)."
    ),
    "form.pool_join.title": "Join a shared stand",
    "form.pool_join.intro": "You are joining the shared stand “{name}” ({edition}).",
    "form.student.title": "Student pass",
    "form.student.intro": "The pass is free. It is sent to you by email.",
    "form.incubator.title": "Joint incubator application",
    "form.incubator.intro": "{call}. The incubator team reads every application.",
    "form.required": "Fields marked with an asterisk (*) are required.",
    "form.required_mark": "required",
    "form.optional": "optional",
    "form.submit": "Send",
    "form.submit.pool_open": "Open the shared stand",
    "form.submit.pool_join": "Join the shared stand",
    "form.honeypot": "Leave this field empty",
    "form.errors.title": "The form has errors",
    "form.errors.one": "Correct the following field and send again:",
    "form.errors.many": "Correct the following {count} fields and send again:",
    "form.errors.page_title": "Error: {title}",
    "form.errors.prefix": "Error:",
    "form.errors.item": "{label}: {message}",
    "legend.edition": "Date and campus",
    "legend.pool": "Shared stand",
    "legend.contact": "Your details",
    "legend.organisation": "Your company",
    "legend.address": "Billing address",
    "legend.student": "Your studies",
    "legend.startup": "Your project",
    "legend.consent": "Consent",
    "field.edition_id": "Choose a date and campus",
    "field.join_waiting_list": "If this date is full, put me on the waiting list",
    "field.pool_name": "Name of the shared stand",
    "field.pool_name.hint": "For example: Gard SMEs — green chemistry.",
    "field.contact.name": "Full name",
    "field.contact.email": "Email address",
    "field.contact.email.hint": "We send the confirmation and your personal link there.",
    "field.contact.phone": "Mobile phone",
    "field.contact.phone.hint": "For example 06 12 34 56 78 or +33 6 12 34 56 78.",
    "field.contact.sms_consent": "I agree to receive text messages about my registration",
    "field.organisation.legal_name": "Legal name",
    "field.organisation.siret": "SIRET number",
    "field.organisation.siret.hint": "14 digits, as on your Kbis extract.",
    "field.organisation.vat_number": "EU VAT number",
    "field.organisation.vat_number.hint": "For example FR44732829320.",
    "field.organisation.billing_address.line1": "Address",
    "field.organisation.billing_address.line2": "Address line 2",
    "field.organisation.billing_address.postal_code": "Postal code",
    "field.organisation.billing_address.city": "City",
    "field.organisation.billing_address.country": "Country code",
    "field.organisation.billing_address.country.hint": "Two letters, for example FR.",
    "field.student.school": "School",
    "field.student.school.choose": "Choose your school",
    "field.student.school.imt_mines_ales": "IMT Mines Alès",
    "field.student.school.enscm": "ENSCM (Chimie Montpellier)",
    "field.student.school.other": "Another school",
    "field.student.school_other": "Name of the school, if another",
    "field.student.programme": "Programme",
    "field.student.programme.hint": "For example: engineering degree, chemical engineering.",
    "field.student.year": "Year of study",
    "field.student.year.hint": "A number from 1 to 8.",
    "field.startup.project_name": "Project name",
    "field.startup.founders": "Founders",
    "field.startup.founders.hint": "One name per line, six at most.",
    "field.startup.description": "Project description",
    "field.startup.description.hint": (
        "At least 20 characters: the problem, the solution, who pays."
    ),
    "field.startup.stage": "Where is the project?",
    "field.startup.stage.choose": "Choose a stage",
    "field.startup.stage.idea": "Idea",
    "field.startup.stage.prototype": "Prototype",
    "field.startup.stage.first_customers": "First customers",
    "field.startup.stage.revenue": "Regular revenue",
    "field.startup.website": "Website",
    "field.startup.website.hint": "Starting with https://",
    "field.data_consent": "I agree to the processing of this data for my registration",
    "consent.text": (
        "The organising schools use this data only to manage your registration, invoicing and "
        "to keep you informed. It is kept for one year after the event. You can ask for it to "
        "be erased at any time."
    ),
    "consent.version": "Text version: {version}",
    "error.missing": "This field is required.",
    "error.missing.choice": "Choose an option.",
    "error.consent": "You must agree to the processing of your data to register.",
    "error.too_long": "This text is too long: {max} characters at most.",
    "error.too_short": "This text is too short: {min} characters at least.",
    "error.email": "Enter a valid email address, for example name@example.com.",
    "error.siret": (
        "This SIRET number is not valid: it has 14 digits and a check key. "
        "Copy it from your Kbis extract."
    ),
    "error.phone": "This phone number is not valid. Write it as 06 12 34 56 78.",
    "error.vat": "A VAT number starts with the country code, for example FR44732829320.",
    "error.postal_code": "Enter a valid postal code, for example 30100.",
    "error.country": "Enter the two-letter country code in capitals, for example FR.",
    "error.website": "Enter a web address starting with https://",
    "error.characters": "This text contains characters that are not allowed (< or >).",
    "error.number": "Enter a whole number.",
    "error.range": "Enter a number between {min} and {max}.",
    "error.founders": "Give between 1 and 6 names, one per line.",
    "error.invalid": "This value is not valid.",
    "refused.edition_full": (
        "There is no place left on this date. Tick the waiting list or choose another date."
    ),
    "refused.no_stand_to_share": (
        "No stand is left to share on this date. Choose another date or join the waiting list "
        "for a whole stand."
    ),
    "refused.edition_closed": "Registration for this date has closed.",
    "refused.invitation_unknown": "This invitation link does not match any shared stand.",
    "refused.pool_closed": "This shared stand is full or closed.",
    "refused.call_closed": "The incubator call for applications is not open at the moment.",
    "refused.try_again": "Saving failed. Please try again in a moment.",
    "refused.generic": "Your request could not be accepted.",
    "invoice.title": "Invoices",
    "invoice.number": "Number",
    "invoice.amount": "Amount incl. VAT",
    "invoice.due_on": "Due by",
    "invoice.state": "Payment",
    "invoice.paid": "paid",
    "invoice.lapsed": "not paid in time: reservation cancelled",
    "invoice.unpaid": "still to pay: {balance}",
    "invoice.pdf": "Download invoice {number} (PDF)",
    "invoice.how_to_pay": "Pay by bank transfer",
    "invoice.holder": "Account holder",
    "invoice.reference": "Reference to quote",
    "invoice.credit_note": "Credit note {number}: {amount}",
    "status.title": "Your registration {reference}",
    "status.new.title": "Thank you, your request is recorded",
    "status.new.text": (
        "A confirmation email is on its way to {email}. It holds the personal link to this page: "
        "keep it to follow or cancel your registration."
    ),
    "status.new.waitlisted": (
        "This date is full: you are on the waiting list. If a place frees up, we offer it to "
        "you by email and you will have {hours} hours to accept it."
    ),
    "status.reference": "Reference",
    "status.offer": "Registration",
    "status.edition": "Date and campus",
    "status.state": "Status",
    "status.organisation": "Company",
    "status.pool": "Shared stand",
    "status.pool.members": "{name}: {members} company(ies) out of {max}",
    "status.invitation.title": "Invite the other companies",
    "status.invitation.text": (
        "Pass this link on to the companies sharing the stand with you. "
        "The stand needs at least {min} companies before {deadline}."
    ),
    "status.invitation.label": "Invitation link to copy",
    "status.offered_until": "A place is offered to you until {until}.",
    "status.accept": "Accept the place",
    "status.cancel": "Cancel my registration",
    "status.withdraw": "Withdraw my application",
    "status.cancel.confirm.title": "Confirm the cancellation",
    "status.cancel.confirm.text": (
        "Do you really want to cancel registration {reference}? This cannot be undone: "
        "the place will be offered to someone else."
    ),
    "status.cancel.confirm.yes": "Yes, cancel",
    "status.cancel.confirm.no": "No, back to my registration",
    "status.cancelled.done": "Your registration is cancelled.",
    "status.accepted.done": "The place is yours.",
    "status.transition_refused": "This is no longer possible: the registration is {status}.",
    "status.reserved": "reserved, awaiting payment",
    "status.confirmed": "confirmed",
    "status.waitlisted": "on the waiting list",
    "status.offered": "place offered, to accept",
    "status.submitted": "application received",
    "status.under_review": "application under review",
    "status.accepted": "application accepted",
    "status.rejected": "application not selected",
    "status.withdrawn": "application withdrawn",
    "status.cancelled": "cancelled",
    "status.placing": "being recorded",
    "status.erased": "erased",
    "duplicate.title": "You are already registered",
    "duplicate.text": (
        "If this email address is already registered for this offer and date, the personal "
        "link to that registration has just been sent to it by email."
    ),
    "thanks.title": "Thank you",
    "thanks.text": "Your request is recorded under reference {reference}.",
    "csrf.title": "The form has expired",
    "csrf.text": (
        "For your security, this form is no longer valid (it is too old or cookies are "
        "blocked). Reload the form and send it again."
    ),
    "csrf.reload": "Reload the form",
    "notfound.title": "Page not found",
    "notfound.text": "This link is not valid or no longer exists. Check that it is complete.",
    "back.home": "Back to the home page",
}


def _french_spacing(text: str) -> str:
    """A narrow no-break space before ? ! ; : so they never start a line on their own."""
    return re.sub(r" ([?!;:])(?=\s|$)", "\u202f\\1", text)


FR = {key: _french_spacing(text) for key, text in FR.items()}
MESSAGES: Mapping[Language, Mapping[str, str]] = {"fr": FR, "en": EN}


def language_of(*candidates: str | None) -> Language:
    """The first candidate that is a language we speak (query, form, cookie...), else French."""
    for candidate in candidates:
        if candidate == "fr":
            return "fr"
        if candidate == "en":
            return "en"
    return DEFAULT


def translate(language: Language, key: str, **values: object) -> str:
    """The text for `key`; a missing key shows itself rather than failing the page."""
    text = MESSAGES[language].get(key) or MESSAGES[DEFAULT].get(key) or key
    return text.format(**values) if values else text


def has(language: Language, key: str) -> bool:
    return key in MESSAGES[language]


def format_euros(cents: int, language: Language) -> str:
    units, rest = divmod(cents, 100)
    if language == "fr":
        whole = f"{units:,}".replace(",", "\u202f")
        return f"{whole} €" if rest == 0 else f"{whole},{rest:02d} €"
    return f"€{units:,}" if rest == 0 else f"€{units:,}.{rest:02d}"
