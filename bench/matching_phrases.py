"""Phrase tables of the partner-search evaluation corpus (``bench/matching_corpus.py``).

Written by hand, not machine-translated, in eight languages: English, French, Spanish,
German, Italian, Romanian, Portuguese (European) and Polish. A **concept** is a process
applied to an object of the same domain ("CNC machining" of "aluminium housings"); its
sentences are built from three layers, each with paraphrases:

* a process form with ``{o}`` where the object goes ("CNC machining of {o}",
  "precision milling and turning of {o}"): at least 3 in English, 2 in each other language;
* an object form ("aluminium housings", "aluminium enclosures"): 2 in English, 1 in each
  other language, written in the grammatical case the domain's process forms need (German
  objects after "von" are dative, after "für" accusative; Romanian ones follow "pentru";
  Polish ones are genitive plural, after a noun or "dla");
* a sentence template, one set for offers and one for needs, 4 per language and side
  ("We offer {x}.", "We are looking for a partner for {x}."). Templates put the process
  phrase where no article is needed ("Entreprise spécialisée en {x}.", "Buscamos
  proveedor de {x}."), so that every combination stays grammatical; Polish templates put
  the phrase after a colon ("Nasza oferta: {x}."), which keeps it in the nominative.

A line of a table reads ``en: a ; b ; c | fr: a ; b | …``: the language, then its forms.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "DECOY_TEMPLATES",
    "DOMAINS",
    "LANGUAGES",
    "NEED_TEMPLATES",
    "OFFER_TEMPLATES",
    "Domain",
    "Process",
    "forms",
    "french_elision",
]

LANGUAGES: tuple[str, ...] = ("en", "fr", "es", "de", "it", "ro", "pt", "pl")


def forms(line: str) -> dict[str, tuple[str, ...]]:
    """One table line (``en: a ; b | fr: c``) as language -> its forms; all six present."""
    table: dict[str, tuple[str, ...]] = {}
    for part in line.split("|"):
        language, _, text = part.partition(":")
        table[language.strip()] = tuple(form.strip() for form in text.split(";"))
    missing = set(LANGUAGES) - set(table)
    if missing or any(not form for values in table.values() for form in values):
        raise ValueError(f"phrase line lacks {sorted(missing) or 'a form'}: {line[:60]!r}")
    return table


_ELIDED = re.compile(r"\b([Dd])e (?=[aeiouyéèêàâîïôûAEIOUÉ])")


def french_elision(text: str) -> str:
    """ "de arbres" -> "d'arbres": French elides "de" before a vowel (no h-words here)."""
    return _ELIDED.sub(r"\1'", text)


@dataclass(frozen=True)
class Process:
    """A service or product line a company offers, with its NACE class and keywords."""

    key: str
    nace: str
    technologies: tuple[str, ...]
    forms: dict[str, tuple[str, ...]]


@dataclass(frozen=True)
class Domain:
    """Processes and the objects they apply to; every process fits every object."""

    key: str
    nace: str  # the class every company active in the domain also lists
    cooperation_types: tuple[str, ...]
    processes: tuple[Process, ...]
    objects: dict[str, dict[str, tuple[str, ...]]]


# fmt: off
OFFER_TEMPLATES: dict[str, tuple[str, ...]] = {
    "en": ("We offer {x}.", "Our company specialises in {x}.", "Our core business: {x}.",
           "We provide {x} for customers across Europe."),
    "fr": ("Nous proposons nos services en {x}.", "Entreprise spécialisée en {x}.",
           "Notre cœur de métier : {x}.",
           "Notre savoir-faire reconnu en {x} est au service de clients dans toute l'Europe."),
    "es": ("Ofrecemos {x}.", "Empresa especializada en {x}.", "Nuestra actividad principal: {x}.",
           "Prestamos servicios de {x} a clientes de toda Europa."),
    "de": ("Wir bieten {x}.", "Unser Unternehmen ist spezialisiert auf {x}.",
           "Unser Kerngeschäft: {x}.",
           "Kunden in ganz Europa vertrauen auf unsere Leistungen: {x}."),
    "it": ("Offriamo {x}.", "Azienda specializzata in {x}.", "La nostra attività principale: {x}.",
           "Il nostro servizio per clienti in tutta Europa: {x}."),
    "ro": ("Oferim {x}.", "Firmă specializată în {x}.", "Activitatea noastră principală: {x}.",
           "Lucrăm pentru clienți din toată Europa: {x}."),
    "pt": ("Oferecemos {x}.", "Empresa especializada em {x}.", "A nossa atividade principal: {x}.",
           "Prestamos serviços de {x} a clientes de toda a Europa."),
    "pl": ("Nasza oferta: {x}.", "Specjalizacja firmy: {x}.", "Główny profil działalności: {x}.",
           "Dla klientów z całej Europy realizujemy: {x}."),
}
NEED_TEMPLATES: dict[str, tuple[str, ...]] = {
    "en": ("We are looking for a partner for {x}.", "We need a supplier for {x}.",
           "Wanted: {x}.", "We seek a subcontractor able to provide {x}."),
    "fr": ("Nous recherchons un prestataire en {x}.", "Recherche partenaire : {x}.",
           "Nous cherchons un sous-traitant en {x}.", "Besoin identifié : {x}."),
    "es": ("Buscamos proveedor de {x}.", "Necesitamos {x}.", "Buscamos un socio para {x}.",
           "Se busca subcontratista de {x}."),
    "de": ("Wir suchen einen Partner für {x}.", "Gesucht: {x}.",
           "Wir suchen einen Zulieferer für {x}.", "Unser Bedarf: {x}."),
    "it": ("Cerchiamo un fornitore di {x}.", "Cerchiamo un partner per {x}.",
           "Cercasi: {x}.", "Ci serve un subfornitore per {x}."),
    "ro": ("Căutăm un furnizor de {x}.", "Avem nevoie de {x}.", "Căutăm parteneri pentru {x}.",
           "Căutăm un subcontractor pentru {x}."),
    "pt": ("Procuramos fornecedor de {x}.", "Precisamos de {x}.",
           "Procuramos um parceiro para {x}.", "Procura-se subcontratado para {x}."),
    "pl": ("Poszukujemy dostawcy: {x}.", "Szukamy partnera w zakresie: {x}.", "Potrzebujemy: {x}.",
           "Zlecimy podwykonawcy: {x}."),
}
# Offers that share the process's words but are not the process: training, software.
DECOY_TEMPLATES: dict[str, tuple[str, ...]] = {
    "en": ("We run training courses on {x}.", "We sell software to quote and plan {x}."),
    "fr": ("Formations professionnelles en {x}.",
           "Logiciel de gestion pour les entreprises spécialisées en {x}."),
    "es": ("Impartimos cursos de formación en {x}.",
           "Software de gestión para empresas de {x}."),
    "de": ("Schulungen und Seminare zum Thema {x}.",
           "Software für Betriebe im Bereich {x}."),
    "it": ("Corsi di formazione in {x}.", "Software gestionale per aziende di {x}."),
    "ro": ("Cursuri de formare în {x}.", "Software de gestiune pentru firme de {x}."),
    "pt": ("Cursos de formação em {x}.", "Software de gestão para empresas de {x}."),
    "pl": ("Szkolenia z zakresu: {x}.", "Oprogramowanie dla firm z branży: {x}."),
}

_METAL = Domain(
    "metal", "25.99",
    ("subcontracting", "manufacturing_agreement", "technical_cooperation"),
    (
        Process("cnc", "25.53", ("cnc machining", "5-axis milling"), forms(
            "en: CNC machining of {o} ; precision milling and turning of {o} ;"
            " machining {o} on 5-axis CNC centres"
            "| fr: usinage CNC de {o} ; fraisage et tournage de précision de {o}"
            "| es: mecanizado CNC de {o} ; fresado y torneado de precisión de {o}"
            "| de: CNC-Bearbeitung von {o} ; Präzisionsfräsen und -drehen von {o}"
            "| it: lavorazione CNC di {o} ; fresatura e tornitura di precisione di {o}"
            "| ro: prelucrare CNC pentru {o} ; frezare și strunjire de precizie pentru {o}"
            "| pt: maquinagem CNC de {o} ; fresagem e torneamento de precisão de {o}"
            "| pl: obróbka CNC {o} ; frezowanie i toczenie precyzyjne {o}")),
        Process("laser", "25.40", ("laser cutting", "sheet metal"), forms(
            "en: laser cutting of {o} ; cutting {o} from sheet metal with fibre lasers ;"
            " sheet metal cutting and bending for {o}"
            "| fr: découpe laser de {o} ; découpe et pliage de tôle pour la fabrication de {o}"
            "| es: corte por láser de {o} ; corte y plegado de chapa para la fabricación de {o}"
            "| de: Laserschneiden von {o} ; Blechzuschnitt und Kanten von {o}"
            "| it: taglio laser di {o} ; taglio e piegatura della lamiera per la produzione di {o}"
            "| ro: tăiere cu laser pentru {o} ; debitare și îndoire de tablă pentru {o}"
            "| pt: corte a laser de {o} ; corte e quinagem de chapa para o fabrico de {o}"
            "| pl: cięcie laserowe {o} ; cięcie i gięcie blach do produkcji {o}")),
        Process("welding", "25.11", ("welding", "tig welding"), forms(
            "en: welding of {o} ; TIG and MIG welding of {o} ; welded fabrication of {o}"
            "| fr: soudage de {o} ; soudure TIG et MIG de {o}"
            "| es: soldadura de {o} ; soldadura TIG y MIG de {o}"
            "| de: Schweißen von {o} ; WIG- und MIG-Schweißen von {o}"
            "| it: saldatura di {o} ; saldatura TIG e MIG di {o}"
            "| ro: servicii de sudură pentru {o} ; sudură TIG și MIG pentru {o}"
            "| pt: soldadura de {o} ; soldadura TIG e MIG de {o}"
            "| pl: spawanie {o} ; spawanie TIG i MIG {o}")),
        Process("coating", "25.51", ("powder coating", "corrosion protection"), forms(
            "en: powder coating of {o} ; anti-corrosion coating of {o} ;"
            " surface finishing and painting of {o}"
            "| fr: thermolaquage de {o} ; traitement anticorrosion de {o}"
            "| es: pintura en polvo de {o} ; recubrimiento anticorrosión de {o}"
            "| de: Pulverbeschichtung von {o} ; Korrosionsschutzbeschichtung von {o}"
            "| it: verniciatura a polvere di {o} ; trattamento anticorrosione di {o}"
            "| ro: vopsire în câmp electrostatic pentru {o} ; protecție anticorozivă pentru {o}"
            "| pt: pintura a pó de {o} ; proteção anticorrosiva de {o}"
            "| pl: malowanie proszkowe {o} ; zabezpieczenie antykorozyjne {o}")),
        Process("heat", "25.52", ("heat treatment", "hardening"), forms(
            "en: heat treatment of {o} ; hardening and tempering of {o} ;"
            " vacuum heat treatment of {o}"
            "| fr: traitement thermique de {o} ; trempe et revenu de {o}"
            "| es: tratamiento térmico de {o} ; temple y revenido de {o}"
            "| de: Wärmebehandlung von {o} ; Härten und Anlassen von {o}"
            "| it: trattamento termico di {o} ; tempra e rinvenimento di {o}"
            "| ro: tratament termic pentru {o} ; călire și revenire pentru {o}"
            "| pt: tratamento térmico de {o} ; têmpera e revenido de {o}"
            "| pl: obróbka cieplna {o} ; hartowanie i odpuszczanie {o}")),
        Process("design", "71.12", ("cad", "fem simulation"), forms(
            "en: mechanical design of {o} ; CAD design and FEM simulation of {o} ;"
            " engineering drawings and 3D models of {o}"
            "| fr: conception mécanique de {o} ; CAO et simulation par éléments finis de {o}"
            "| es: diseño mecánico de {o} ; diseño CAD y simulación por elementos finitos de {o}"
            "| de: Konstruktion von {o} ; CAD-Konstruktion und FEM-Simulation von {o}"
            "| it: progettazione meccanica di {o} ; progettazione CAD e simulazione FEM di {o}"
            "| ro: proiectare mecanică pentru {o} ; proiectare CAD și simulare FEM pentru {o}"
            "| pt: conceção mecânica de {o} ; desenho CAD e simulação por elementos finitos de {o}"
            "| pl: projektowanie mechaniczne {o} ; projektowanie CAD i symulacje MES {o}")),
    ),
    {
        "alu_housings": forms(
            "en: aluminium housings ; aluminium enclosures | fr: boîtiers en aluminium"
            "| es: carcasas de aluminio | de: Aluminiumgehäusen | it: alloggiamenti in alluminio"
            "| ro: carcase din aluminiu"
            "| pt: caixas de alumínio"
            "| pl: obudów aluminiowych"),
        "machine_frames": forms(
            "en: steel machine frames ; machine frames made of steel"
            "| fr: bâtis de machines en acier | es: bastidores de acero para maquinaria"
            "| de: Maschinengestellen aus Stahl | it: telai in acciaio per macchinari"
            "| ro: cadre din oțel pentru utilaje"
            "| pt: estruturas de máquinas em aço"
            "| pl: ram maszyn ze stali"),
        "steel_tanks": forms(
            "en: stainless steel tanks ; tanks in stainless steel | fr: cuves en inox"
            "| es: depósitos de acero inoxidable | de: Edelstahlbehältern"
            "| it: serbatoi in acciaio inox | ro: rezervoare din inox"
            "| pt: depósitos de aço inoxidável"
            "| pl: zbiorników ze stali nierdzewnej"),
        "shafts": forms(
            "en: gearbox shafts ; transmission shafts | fr: arbres de transmission"
            "| es: ejes de transmisión | de: Getriebewellen | it: alberi di trasmissione"
            "| ro: arbori de transmisie"
            "| pt: veios de transmissão"
            "| pl: wałów przekładni"),
        "brackets": forms(
            "en: brackets and mounting plates ; mounting brackets"
            "| fr: équerres et platines de fixation | es: soportes y placas de montaje"
            "| de: Halterungen und Montageplatten | it: staffe e piastre di montaggio"
            "| ro: suporți și plăci de montaj"
            "| pt: suportes e placas de montagem"
            "| pl: wsporników i płyt montażowych"),
        "farm_parts": forms(
            "en: spare parts for agricultural machinery ; wear parts for farm machines"
            "| fr: pièces de rechange pour machines agricoles"
            "| es: recambios para maquinaria agrícola | de: Ersatzteilen für Landmaschinen"
            "| it: ricambi per macchine agricole | ro: piese de schimb pentru utilaje agricole"
            "| pt: peças de substituição para máquinas agrícolas"
            "| pl: części zamiennych do maszyn rolniczych"),
    },
)

_ELECTRONICS = Domain(
    "electronics", "26.12",
    ("subcontracting", "manufacturing_agreement", "technical_cooperation",
     "research_cooperation"),
    (
        Process("pcba", "26.12", ("smt assembly", "pcb assembly"), forms(
            "en: PCB assembly for {o} ; SMT and THT assembly of printed circuit boards for {o} ;"
            " printed circuit board assembly and soldering for {o}"
            "| fr: assemblage de cartes électroniques pour {o} ;"
            " câblage CMS et traversant de circuits imprimés pour {o}"
            "| es: montaje de placas de circuito impreso para {o} ;"
            " ensamblaje SMT y THT de PCB para {o}"
            "| de: Leiterplattenbestückung für {o} ; SMD- und THT-Bestückung von Platinen für {o}"
            "| it: assemblaggio di schede elettroniche per {o} ;"
            " montaggio SMT e THT di circuiti stampati per {o}"
            "| ro: asamblare de plăci de circuite imprimate pentru {o} ;"
            " montaj SMT și THT de plăci electronice pentru {o}"
            "| pt: montagem de placas de circuito impresso para {o} ;"
            " montagem SMT e THT de PCB para {o}"
            "| pl: montaż płytek drukowanych dla {o} ;"
            " montaż SMT i THT obwodów drukowanych dla {o}")),
        Process("pcb_design", "71.12", ("pcb design", "altium"), forms(
            "en: PCB layout design for {o} ; schematic capture and circuit board layout for {o} ;"
            " hardware design of electronic boards for {o}"
            "| fr: conception de circuits imprimés pour {o} ;"
            " routage de cartes électroniques pour {o}"
            "| es: diseño de circuitos impresos para {o} ; diseño de hardware electrónico para {o}"
            "| de: Leiterplattenlayout für {o} ;"
            " Hardwareentwicklung und Schaltplanerstellung für {o}"
            "| it: progettazione di circuiti stampati per {o} ;"
            " sviluppo hardware e sbroglio PCB per {o}"
            "| ro: proiectare de cablaje imprimate pentru {o} ; proiectare hardware și layout PCB"
            " pentru {o}"
            "| pt: projeto de circuitos impressos para {o} ;"
            " desenvolvimento de hardware eletrónico para {o}"
            "| pl: projektowanie płytek PCB dla {o} ;"
            " projektowanie elektroniki i schematów dla {o}")),
        Process("emc", "71.20", ("emc testing", "ce marking"), forms(
            "en: EMC testing for {o} ; electromagnetic compatibility tests and CE marking for {o} ;"
            " pre-compliance EMC measurements for {o}"
            "| fr: essais CEM pour {o} ; essais de compatibilité électromagnétique et marquage CE"
            " pour {o}"
            "| es: ensayos CEM para {o} ; ensayos de compatibilidad electromagnética y marcado CE"
            " para {o}"
            "| de: EMV-Prüfungen für {o} ; EMV-Messungen und CE-Kennzeichnung für {o}"
            "| it: prove EMC per {o} ;"
            " test di compatibilità elettromagnetica e marcatura CE per {o}"
            "| ro: teste EMC pentru {o} ;"
            " încercări de compatibilitate electromagnetică și marcaj CE pentru {o}"
            "| pt: ensaios de CEM para {o} ;"
            " ensaios de compatibilidade eletromagnética e marcação CE para {o}"
            "| pl: badania EMC dla {o} ;"
            " badania kompatybilności elektromagnetycznej i oznakowanie CE dla {o}")),
        Process("firmware", "62.10", ("embedded c", "rtos"), forms(
            "en: firmware development for {o} ; embedded software for {o} ;"
            " writing microcontroller firmware for {o}"
            "| fr: développement de firmware pour {o} ; logiciel embarqué pour {o}"
            "| es: desarrollo de firmware para {o} ; software embebido para {o}"
            "| de: Firmware-Entwicklung für {o} ; Embedded-Software für {o}"
            "| it: sviluppo firmware per {o} ; software embedded per {o}"
            "| ro: dezvoltare de firmware pentru {o} ; software embedded pentru {o}"
            "| pt: desenvolvimento de firmware para {o} ; software embebido para {o}"
            "| pl: tworzenie firmware'u dla {o} ; oprogramowanie wbudowane dla {o}")),
        Process("harness", "27.32", ("wire harnesses", "cable assembly"), forms(
            "en: cable harness assembly for {o} ; wiring looms and cable assemblies for {o} ;"
            " custom cable assemblies for {o}"
            "| fr: fabrication de faisceaux de câbles pour {o} ; faisceaux électriques et"
            " assemblages de câbles pour {o}"
            "| es: fabricación de mazos de cables para {o} ; arneses de cableado para {o}"
            "| de: Kabelkonfektion für {o} ; Kabelbäume und Kabelsätze für {o}"
            "| it: cablaggi elettrici per {o} ; assemblaggio di fasci di cavi per {o}"
            "| ro: cablaje electrice pentru {o} ; fabricare de fascicule de cabluri pentru {o}"
            "| pt: cablagens elétricas para {o} ; montagem de chicotes de cabos para {o}"
            "| pl: wiązki kablowe dla {o} ; produkcja wiązek przewodów dla {o}")),
    ),
    {  # accusative plural in German (after "für")
        "motor_drives": forms(
            "en: motor controllers ; electric motor drives"
            "| fr: variateurs pour moteurs électriques | es: controladores de motores eléctricos"
            "| de: Motorsteuerungen | it: controllori per motori elettrici"
            "| ro: controlere pentru motoare electrice"
            "| pt: controladores de motores elétricos"
            "| pl: sterowników silników elektrycznych"),
        "medical": forms(
            "en: medical monitoring devices ; patient monitors"
            "| fr: dispositifs médicaux de surveillance | es: equipos de monitorización médica"
            "| de: medizinische Überwachungsgeräte | it: dispositivi medici di monitoraggio"
            "| ro: dispozitive medicale de monitorizare"
            "| pt: dispositivos médicos de monitorização"
            "| pl: urządzeń do monitorowania pacjentów"),
        "led": forms(
            "en: LED lighting drivers ; drivers for LED luminaires"
            "| fr: alimentations pour luminaires LED | es: drivers para iluminación LED"
            "| de: LED-Treiber | it: driver per illuminazione LED"
            "| ro: drivere pentru iluminat LED"
            "| pt: drivers para iluminação LED"
            "| pl: zasilaczy do oświetlenia LED"),
        "bms": forms(
            "en: battery management systems ; BMS boards for battery packs"
            "| fr: systèmes de gestion de batteries | es: sistemas de gestión de baterías"
            "| de: Batteriemanagementsysteme | it: sistemi di gestione delle batterie"
            "| ro: sisteme de management al bateriilor"
            "| pt: sistemas de gestão de baterias"
            "| pl: systemów zarządzania bateriami"),
        "meters": forms(
            "en: smart energy meters ; connected electricity meters"
            "| fr: compteurs d'énergie communicants | es: contadores inteligentes de energía"
            "| de: intelligente Stromzähler | it: contatori intelligenti di energia"
            "| ro: contoare inteligente de energie"
            "| pt: contadores inteligentes de energia"
            "| pl: inteligentnych liczników energii"),
        "farm_sensors": forms(
            "en: agricultural IoT sensors ; soil and weather sensors for farms"
            "| fr: capteurs agricoles connectés | es: sensores IoT para agricultura"
            "| de: landwirtschaftliche IoT-Sensoren | it: sensori IoT per l'agricoltura"
            "| ro: senzori IoT pentru agricultură"
            "| pt: sensores IoT para a agricultura"
            "| pl: czujników IoT dla rolnictwa"),
    },
)

_SOFTWARE = Domain(
    "software", "62.10",
    ("services_agreement", "outsourcing", "technical_cooperation"),
    (
        Process("mobile", "62.10", ("kotlin", "swift"), forms(
            "en: mobile app development for {o} ; building iOS and Android apps for {o} ;"
            " custom smartphone applications for {o}"
            "| fr: développement d'applications mobiles pour {o} ; applications iOS et Android"
            " sur mesure pour {o}"
            "| es: desarrollo de aplicaciones móviles para {o} ; apps iOS y Android a medida"
            " para {o}"
            "| de: App-Entwicklung für {o} ; individuelle iOS- und Android-Apps für {o}"
            "| it: sviluppo di app mobili per {o} ; app iOS e Android su misura per {o}"
            "| ro: dezvoltare de aplicații mobile pentru {o} ; aplicații iOS și Android la comandă"
            " pentru {o}"
            "| pt: desenvolvimento de aplicações móveis para {o} ;"
            " apps iOS e Android à medida para {o}"
            "| pl: tworzenie aplikacji mobilnych dla {o} ;"
            " aplikacje na iOS i Androida na zamówienie dla {o}")),
        Process("cloud", "62.20", ("kubernetes", "devops"), forms(
            "en: cloud migration for {o} ; moving legacy systems to the cloud for {o} ;"
            " cloud infrastructure and DevOps for {o}"
            "| fr: migration vers le cloud pour {o} ; infrastructure cloud et DevOps pour {o}"
            "| es: migración a la nube para {o} ; infraestructura cloud y DevOps para {o}"
            "| de: Cloud-Migration für {o} ; Cloud-Infrastruktur und DevOps für {o}"
            "| it: migrazione al cloud per {o} ; infrastruttura cloud e DevOps per {o}"
            "| ro: migrare în cloud pentru {o} ; infrastructură cloud și DevOps pentru {o}"
            "| pt: migração para a cloud para {o} ; infraestrutura cloud e DevOps para {o}"
            "| pl: migracja do chmury dla {o} ; infrastruktura chmurowa i DevOps dla {o}")),
        Process("security", "62.20", ("penetration testing", "iso 27001"), forms(
            "en: cybersecurity audits for {o} ; penetration testing and security assessments"
            " for {o} ; IT security audits for {o}"
            "| fr: audits de cybersécurité pour {o} ; tests d'intrusion et évaluations de"
            " sécurité pour {o}"
            "| es: auditorías de ciberseguridad para {o} ; pruebas de penetración y evaluaciones"
            " de seguridad para {o}"
            "| de: Cybersicherheitsaudits für {o} ; Penetrationstests und Sicherheitsanalysen"
            " für {o}"
            "| it: audit di sicurezza informatica per {o} ; penetration test e valutazioni di"
            " sicurezza per {o}"
            "| ro: audituri de securitate cibernetică pentru {o} ; teste de penetrare și evaluări"
            " de securitate pentru {o}"
            "| pt: auditorias de cibersegurança para {o} ;"
            " testes de intrusão e avaliações de segurança para {o}"
            "| pl: audyty cyberbezpieczeństwa dla {o} ;"
            " testy penetracyjne i oceny bezpieczeństwa dla {o}")),
        Process("analytics", "63.10", ("power bi", "machine learning"), forms(
            "en: data analytics and dashboards for {o} ; business intelligence reporting for {o} ;"
            " machine learning on operational data for {o}"
            "| fr: analyse de données et tableaux de bord pour {o} ; informatique décisionnelle"
            " pour {o}"
            "| es: análisis de datos y cuadros de mando para {o} ; inteligencia de negocio para {o}"
            "| de: Datenanalyse und Dashboards für {o} ; Business-Intelligence-Lösungen für {o}"
            "| it: analisi dei dati e cruscotti per {o} ; soluzioni di business intelligence"
            " per {o}"
            "| ro: analiză de date și tablouri de bord pentru {o} ; soluții de business"
            " intelligence pentru {o}"
            "| pt: análise de dados e dashboards para {o} ;"
            " soluções de business intelligence para {o}"
            "| pl: analiza danych i dashboardy dla {o} ;"
            " rozwiązania business intelligence dla {o}")),
        Process("erp", "62.20", ("sap", "odoo"), forms(
            "en: ERP implementation for {o} ; rolling out and customising ERP systems for {o} ;"
            " integration of ERP and warehouse software for {o}"
            "| fr: intégration de progiciels ERP pour {o} ; déploiement et paramétrage d'ERP"
            " pour {o}"
            "| es: implantación de ERP para {o} ; implantación y personalización de sistemas ERP"
            " para {o}"
            "| de: ERP-Einführung für {o} ; Einführung und Anpassung von ERP-Systemen für {o}"
            "| it: implementazione di ERP per {o} ; installazione e personalizzazione di sistemi"
            " ERP per {o}"
            "| ro: implementare ERP pentru {o} ; implementare și configurare de sisteme ERP"
            " pentru {o}"
            "| pt: implementação de ERP para {o} ;"
            " implementação e parametrização de sistemas ERP para {o}"
            "| pl: wdrożenia ERP dla {o} ; wdrażanie i konfiguracja systemów ERP dla {o}")),
    ),
    {
        "logistics": forms(
            "en: logistics companies ; freight forwarders and carriers"
            "| fr: entreprises de logistique | es: empresas de logística"
            "| de: Logistikunternehmen | it: aziende di logistica | ro: companii de logistică"
            "| pt: empresas de logística"
            "| pl: firm logistycznych"),
        "hospitals": forms(
            "en: hospitals and clinics ; healthcare providers | fr: hôpitaux et cliniques"
            "| es: hospitales y clínicas | de: Krankenhäuser und Kliniken"
            "| it: ospedali e cliniche | ro: spitale și clinici"
            "| pt: hospitais e clínicas"
            "| pl: szpitali i klinik"),
        "retail": forms(
            "en: retail chains ; shops and retailers | fr: enseignes de la grande distribution"
            "| es: cadenas de tiendas | de: Einzelhandelsketten | it: catene di negozi"
            "| ro: lanțuri de magazine"
            "| pt: cadeias de lojas"
            "| pl: sieci handlowych"),
        "plants": forms(
            "en: manufacturing plants ; factories | fr: sites de production industrielle"
            "| es: plantas de fabricación | de: Produktionsbetriebe | it: stabilimenti produttivi"
            "| ro: fabrici și unități de producție"
            "| pt: unidades fabris"
            "| pl: zakładów produkcyjnych"),
        "utilities": forms(
            "en: energy utilities ; power and water utilities | fr: fournisseurs d'énergie"
            "| es: empresas de suministro energético | de: Energieversorger"
            "| it: aziende energetiche | ro: companii de utilități energetice"
            "| pt: empresas de energia"
            "| pl: przedsiębiorstw energetycznych"),
        "towns": forms(
            "en: municipalities ; local public authorities | fr: collectivités locales"
            "| es: ayuntamientos | de: Kommunen | it: enti locali"
            "| ro: primării și autorități locale"
            "| pt: municípios"
            "| pl: samorządów"),
    },
)

_FOOD = Domain(
    "food", "10.89",
    ("commercial_agreement", "distribution_services", "services_agreement"),
    (
        Process("packaging", "28.93", ("packaging machinery", "map trays"), forms(
            "en: packaging lines for {o} ; recyclable packaging solutions for {o} ;"
            " filling and packing machines for {o}"
            "| fr: lignes de conditionnement pour {o} ; emballages recyclables pour {o}"
            "| es: líneas de envasado para {o} ; envases reciclables para {o}"
            "| de: Verpackungslinien für {o} ; recycelbare Verpackungen für {o}"
            "| it: linee di confezionamento per {o} ; imballaggi riciclabili per {o}"
            "| ro: linii de ambalare pentru {o} ; ambalaje reciclabile pentru {o}"
            "| pt: linhas de embalamento para {o} ; embalagens recicláveis para {o}"
            "| pl: linie pakujące dla {o} ; opakowania nadające się do recyklingu dla {o}")),
        Process("cold_chain", "52.10", ("cold chain", "temperature tracking"), forms(
            "en: refrigerated transport for {o} ; cold chain logistics for {o} ;"
            " temperature-controlled storage and delivery for {o}"
            "| fr: transport frigorifique pour {o} ; logistique du froid pour {o}"
            "| es: transporte frigorífico para {o} ; logística de frío para {o}"
            "| de: Kühltransporte für {o} ; Kühlkettenlogistik für {o}"
            "| it: trasporto refrigerato per {o} ; logistica del freddo per {o}"
            "| ro: transport frigorific pentru {o} ; logistică în lanț frigorific pentru {o}"
            "| pt: transporte refrigerado para {o} ; logística de frio para {o}"
            "| pl: transport chłodniczy dla {o} ; logistyka łańcucha chłodniczego dla {o}")),
        Process("lab", "71.20", ("food safety", "microbiology"), forms(
            "en: laboratory testing for {o} ; microbiological and chemical analyses for {o} ;"
            " food safety testing for {o}"
            "| fr: analyses de laboratoire pour {o} ; analyses microbiologiques et chimiques"
            " pour {o}"
            "| es: análisis de laboratorio para {o} ; análisis microbiológicos y químicos para {o}"
            "| de: Laboranalysen für {o} ; mikrobiologische und chemische Untersuchungen für {o}"
            "| it: analisi di laboratorio per {o} ; analisi microbiologiche e chimiche per {o}"
            "| ro: analize de laborator pentru {o} ;"
            " analize microbiologice și chimice pentru {o}"
            "| pt: análises laboratoriais para {o} ; análises microbiológicas e químicas para {o}"
            "| pl: badania laboratoryjne dla {o} ; analizy mikrobiologiczne i chemiczne dla {o}")),
        Process("export", "46.39", ("export", "wholesale"), forms(
            "en: export distribution for {o} ; import and wholesale distribution of {o} ;"
            " finding foreign buyers for {o}"
            "| fr: distribution à l'export pour {o} ; importation et distribution de {o}"
            "| es: distribución internacional para {o} ; importación y distribución de {o}"
            "| de: Exportvertrieb für {o} ; Import und Großhandelsvertrieb für {o}"
            "| it: distribuzione all'estero per {o} ; importazione e distribuzione di {o}"
            "| ro: distribuție la export pentru {o} ; import și distribuție en-gros pentru {o}"
            "| pt: distribuição internacional para {o} ; importação e distribuição de {o}"
            "| pl: dystrybucja eksportowa dla {o} ; import i dystrybucja hurtowa dla {o}")),
        Process("certification", "70.20", ("ifs", "brc"), forms(
            "en: organic and food safety certification for {o} ; IFS and BRC certification"
            " consulting for {o} ; quality certification support for {o}"
            "| fr: accompagnement à la certification IFS et BRC pour {o} ; certification qualité"
            " pour {o}"
            "| es: consultoría de certificación IFS y BRC para {o} ; certificación de calidad"
            " para {o}"
            "| de: Beratung zur IFS- und BRC-Zertifizierung für {o} ; Qualitätszertifizierung"
            " für {o}"
            "| it: consulenza per la certificazione IFS e BRC per {o} ; certificazione di qualità"
            " per {o}"
            "| ro: consultanță pentru certificarea IFS și BRC pentru {o} ; certificare de calitate"
            " pentru {o}"
            "| pt: consultoria de certificação IFS e BRC para {o} ;"
            " certificação de qualidade para {o}"
            "| pl: doradztwo w zakresie certyfikacji IFS i BRC dla {o} ;"
            " certyfikacja jakości dla {o}")),
    ),
    {  # accusative in German (after "für")
        "dairy": forms(
            "en: dairy products ; cheese and yoghurt | fr: produits laitiers"
            "| es: productos lácteos | de: Milchprodukte | it: prodotti lattiero-caseari"
            "| ro: produse lactate"
            "| pt: produtos lácteos"
            "| pl: produktów mlecznych"),
        "produce": forms(
            "en: fresh fruit and vegetables ; fresh produce | fr: fruits et légumes frais"
            "| es: frutas y hortalizas frescas | de: frisches Obst und Gemüse"
            "| it: frutta e verdura fresca | ro: fructe și legume proaspete"
            "| pt: fruta e legumes frescos"
            "| pl: świeżych owoców i warzyw"),
        "wine": forms(
            "en: wine ; bottled wines | fr: vins | es: vinos | de: Wein | it: vini | ro: vinuri"
            "| pt: vinhos"
            "| pl: wina"),
        "seafood": forms(
            "en: frozen fish and seafood ; frozen seafood"
            "| fr: poissons et fruits de mer surgelés | es: pescado y marisco congelado"
            "| de: tiefgekühlten Fisch und Meeresfrüchte | it: pesce e frutti di mare surgelati"
            "| ro: pește și fructe de mare congelate"
            "| pt: peixe e marisco congelados"
            "| pl: mrożonych ryb i owoców morza"),
        "olive_oil": forms(
            "en: olive oil ; extra virgin olive oil | fr: huile d'olive | es: aceite de oliva"
            "| de: Olivenöl | it: olio d'oliva | ro: ulei de măsline"
            "| pt: azeite"
            "| pl: oliwy z oliwek"),
        "bakery": forms(
            "en: bakery products ; bread and pastries | fr: produits de boulangerie"
            "| es: productos de panadería | de: Backwaren | it: prodotti da forno"
            "| ro: produse de panificație"
            "| pt: produtos de panificação"
            "| pl: pieczywa i wyrobów piekarniczych"),
    },
)

_BUILDINGS = Domain(
    "buildings", "43.21",
    ("services_agreement", "joint_venture", "financial_agreement", "technical_cooperation"),
    (
        Process("solar", "43.21", ("photovoltaics", "self-consumption"), forms(
            "en: rooftop solar installations for {o} ; photovoltaic systems for {o} ;"
            " design and installation of solar PV plants for {o}"
            "| fr: installations photovoltaïques en toiture pour {o} ; centrales solaires en"
            " autoconsommation pour {o}"
            "| es: instalaciones fotovoltaicas en cubierta para {o} ; plantas solares de"
            " autoconsumo para {o}"
            "| de: Photovoltaikanlagen auf dem Dach für {o} ; Solaranlagen zum Eigenverbrauch"
            " für {o}"
            "| it: impianti fotovoltaici sul tetto per {o} ; impianti solari in autoconsumo per {o}"
            "| ro: sisteme fotovoltaice pe acoperiș pentru {o} ; instalații solare de autoconsum"
            " pentru {o}"
            "| pt: instalações fotovoltaicas em coberturas para {o} ;"
            " sistemas solares de autoconsumo para {o}"
            "| pl: instalacje fotowoltaiczne na dachach dla {o} ;"
            " elektrownie słoneczne na potrzeby własne dla {o}")),
        Process("heat_pumps", "43.22", ("heat pumps", "hvac"), forms(
            "en: heat pump installation for {o} ; heating and cooling with heat pumps for {o} ;"
            " HVAC retrofits with heat pumps for {o}"
            "| fr: installation de pompes à chaleur pour {o} ; chauffage et climatisation par"
            " pompe à chaleur pour {o}"
            "| es: instalación de bombas de calor para {o} ; climatización con bomba de calor"
            " para {o}"
            "| de: Installation von Wärmepumpen für {o} ; Heizen und Kühlen mit Wärmepumpen"
            " für {o}"
            "| it: installazione di pompe di calore per {o} ; riscaldamento e raffrescamento con"
            " pompe di calore per {o}"
            "| ro: instalare de pompe de căldură pentru {o} ; încălzire și răcire cu pompe de"
            " căldură pentru {o}"
            "| pt: instalação de bombas de calor para {o} ;"
            " climatização com bombas de calor para {o}"
            "| pl: montaż pomp ciepła dla {o} ; ogrzewanie i chłodzenie pompami ciepła dla {o}")),
        Process("audits", "71.12", ("energy audits", "iso 50001"), forms(
            "en: energy audits for {o} ; energy efficiency assessments for {o} ;"
            " energy performance audits for {o}"
            "| fr: audits énergétiques pour {o} ; diagnostics de performance énergétique pour {o}"
            "| es: auditorías energéticas para {o} ; estudios de eficiencia energética para {o}"
            "| de: Energieaudits für {o} ; Energieeffizienzanalysen für {o}"
            "| it: diagnosi energetiche per {o} ; audit di efficienza energetica per {o}"
            "| ro: audituri energetice pentru {o} ; evaluări de eficiență energetică pentru {o}"
            "| pt: auditorias energéticas para {o} ; estudos de eficiência energética para {o}"
            "| pl: audyty energetyczne dla {o} ; oceny efektywności energetycznej dla {o}")),
        Process("automation", "43.21", ("knx", "bacnet"), forms(
            "en: building automation for {o} ; smart building management systems for {o} ;"
            " automated control of lighting, heating and ventilation for {o}"
            "| fr: gestion technique du bâtiment pour {o} ; systèmes de domotique et GTB pour {o}"
            "| es: automatización de edificios para {o} ; sistemas de gestión técnica de"
            " edificios para {o}"
            "| de: Gebäudeautomation für {o} ; Gebäudeleittechnik für {o}"
            "| it: automazione degli edifici per {o} ; sistemi di building management per {o}"
            "| ro: automatizare a clădirilor pentru {o} ; sisteme de management al clădirilor"
            " pentru {o}"
            "| pt: automação de edifícios para {o} ;"
            " sistemas de gestão técnica centralizada para {o}"
            "| pl: automatyka budynkowa dla {o} ; systemy zarządzania budynkiem dla {o}")),
        Process("storage", "27.20", ("battery storage", "lithium iron phosphate"), forms(
            "en: battery energy storage for {o} ; battery storage systems for {o} ;"
            " stationary batteries for {o}"
            "| fr: stockage d'énergie par batteries pour {o} ; systèmes de stockage sur"
            " batteries pour {o}"
            "| es: almacenamiento de energía en baterías para {o} ; sistemas de baterías"
            " estacionarias para {o}"
            "| de: Batteriespeicher für {o} ; stationäre Energiespeicher für {o}"
            "| it: accumulo di energia a batteria per {o} ; sistemi di accumulo a batterie per {o}"
            "| ro: stocare de energie în baterii pentru {o} ; sisteme de stocare cu baterii"
            " pentru {o}"
            "| pt: armazenamento de energia em baterias para {o} ;"
            " sistemas de baterias estacionárias para {o}"
            "| pl: magazynowanie energii w bateriach dla {o} ;"
            " bateryjne magazyny energii dla {o}")),
    ),
    {  # accusative in German (after "für")
        "industrial": forms(
            "en: industrial buildings ; factory halls | fr: bâtiments industriels"
            "| es: naves industriales | de: Industriegebäude | it: edifici industriali"
            "| ro: clădiri industriale"
            "| pt: edifícios industriais"
            "| pl: budynków przemysłowych"),
        "warehouses": forms(
            "en: warehouses ; logistics warehouses | fr: entrepôts | es: almacenes logísticos"
            "| de: Lagerhallen | it: magazzini | ro: depozite"
            "| pt: armazéns"
            "| pl: magazynów"),
        "hotels": forms(
            "en: hotels ; hotels and resorts | fr: hôtels | es: hoteles | de: Hotels"
            "| it: alberghi | ro: hoteluri"
            "| pt: hotéis"
            "| pl: hoteli"),
        "hospital_buildings": forms(
            "en: hospital buildings ; hospitals | fr: établissements hospitaliers"
            "| es: edificios hospitalarios | de: Krankenhausgebäude | it: strutture ospedaliere"
            "| ro: clădiri de spitale"
            "| pt: edifícios hospitalares"
            "| pl: budynków szpitalnych"),
        "offices": forms(
            "en: office buildings ; offices | fr: immeubles de bureaux"
            "| es: edificios de oficinas | de: Bürogebäude | it: edifici per uffici"
            "| ro: clădiri de birouri"
            "| pt: edifícios de escritórios"
            "| pl: biurowców"),
        "greenhouses": forms(
            "en: farms and greenhouses ; greenhouses | fr: exploitations agricoles et serres"
            "| es: explotaciones agrícolas e invernaderos"
            "| de: landwirtschaftliche Betriebe und Gewächshäuser | it: aziende agricole e serre"
            "| ro: ferme și sere"
            "| pt: explorações agrícolas e estufas"
            "| pl: gospodarstw rolnych i szklarni"),
    },
)
# fmt: on

DOMAINS: tuple[Domain, ...] = (_METAL, _ELECTRONICS, _SOFTWARE, _FOOD, _BUILDINGS)
