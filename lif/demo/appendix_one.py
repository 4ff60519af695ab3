"""Appendix One of the Liverpool LSCB Learning and Improvement Framework, as demo data.

The fourteen entries of the "Learning and Improvement Index", in document order, cleaned of
PDF line-break artefacts. Pure data: nothing here imports project code. Keys used:
``section`` is a ``config.taxonomy.LEARNING_SECTIONS`` key, ``review_type`` a
``REVIEW_TYPES`` key, ``audit_type`` an ``AUDIT_TYPES`` key (audits only, else ""),
``themes`` and ``agencies`` are ``THEMES`` and ``AGENCIES`` keys. No named individuals.
"""

ENTRIES = [
    {
        "kind": "audit",
        "section": "audit",
        "review_type": "multi_agency_audit",
        "audit_type": "multi_agency",
        "name": "LSCB Application of LSCB Levels of Need at the Front Door",
        "reference": "",
        "date": "2016-11-01",
        "date_label": "Report to LSCB November 2016",
        "overview": (
            "Randomly selected 50 cases - 10 cases from each of our highest referring agencies "
            "(Police, Schools/Education Services, Health, NSPCC and Probation). All cases were "
            "referred in to us between December 2015 and February 2016.\n"
            "Requesting the referring agency complete an audit tool about their referral. This "
            "audit tool related to how the referral was made, was the levels of need framework "
            "used, was an EHAT considered, was consent obtained and garnered the referrers view on "
            "why they referred the case when they did.\n"
            "Producing a referral tool for Careline to complete on the front doors perspective of "
            "the quality, appropriateness and timeliness of the referral (this was completed on 25 "
            "of the randomly selected cases).\n"
            "Selecting 10 of these cases to be audited by a multi-agency audit group with "
            "representation from Health, Schools, Police, LSCB, Careline, Social Care and "
            "Probation.\n"
            "In order to address an age balance that had randomly lent towards children age "
            "between 14-17, we picked a further 6 cases to audit of children aged under 12.\n"
            "The multi-agency room met as a group with access to the previously completed audit "
            "tools from the referring agency and Careline, a copy of the referral record relating "
            "to the child and access to Liquid Logic to be able to further explore any issues that "
            "the review of the cases raised. Using this information they reviewed the 16 cases "
            "against an audit tool and noted recommendations against each case."
        ),
        "findings": [
            (
                "19 (60%) did NOT use the LSCB Responding to Need Guidance and Levels of Need "
                "Framework while 13 (40%) did. Of the 19 referrals who did not use the guidance "
                "the agencies concerned were NSPCC, Health and Police."
            ),
            (
                "10 (31%) of them were either made or followed up with a VPRF1 (8 Police "
                "referrals) or a MARF (2 schools). The other 22 (69%) were not followed up with "
                "any written details after the initial referral was made."
            ),
            (
                "10 (31%) of them were discussed with the referrers line manager while 16 (50%) "
                "were not and 6 (19%) reported the question was N/A as they had no line manager."
            ),
            (
                "29 (91%) indicated that they had not considered an EHAT prior to the referral "
                "while 3 had (1 from a school, 1 from Alder Hey and 1 from the police)."
            ),
            "15 (47%) obtained consent prior to making the referral 17 (53%) had not.",
            (
                "10 (31%) ended up as a single assessment, 7 (22%) were referred to another "
                "agency, 3 were given information and advice, 5 were NFA and in 7 cases (22%) the "
                "referrer did not know the outcome of the case."
            ),
            (
                "Of the 25 referrers who knew the outcome of the referral 100% said that they "
                "believed the outcome of the referral was appropriate."
            ),
            (
                "It was noted that while there were a number of referrals linked to domestic "
                "violence and school aged children, there was no evidence at the front door around "
                "whether schools had been notified (as per operation encompass)."
            ),
            (
                "It was referenced to the group that in cases where there was a significant delay "
                "between a police incident occurring and a police referral being made to Careline "
                "a BRAG rating exercise had taken place by the police to ensure that priority "
                "cases were dealt with in a timely fashion."
            ),
            (
                "It became apparent in cases from health that from their perspective when "
                "completing the audit tool that they believed that very little work had been done "
                "by the individual referrer. When the referral record that children social care "
                "was reviewed it became apparent in these cases that extensive research and checks "
                "actually had been done by the worker involved and they had shared a very "
                "informative story with context and history to Careline."
            ),
            (
                "The NSPCC responded several times saying 'The MARF is not appropriate for NSPCC "
                "Helpline use'."
            ),
            (
                "There was an indication that at the time of making the referral at least one "
                "worker from an agency (probation) had not heard of either the Responding to Need "
                "Guidance/ Levels of Need Framework or was aware of what an EHAT was."
            ),
            (
                "In numerous referrals, be it over the phone, e-mail, fax, VPRF1, ethnicity was "
                "not provided on the referral. It is crucial that all known elements of "
                "demographics are shared when making a referral and referrers check their own "
                "single agency records to ensure they are transferring all requested information "
                "to Careline."
            ),
            (
                "Several referring agencies commented that no feedback was provided to them on the "
                "outcome of the referral, even in cases where Careline had indicated in their "
                "records that they had e-mailed the agency to update them on a case. It was "
                "suggested at the audit group that in other LAs each agency has a set agency "
                "e-mail address where feedback can be shared of referrals and some LA's now have a "
                "process whereby an e-mail is automatically sent to a referrer when a case is "
                "picked up by a worker in Liquid Logic."
            ),
            (
                "Sometimes when a referral was made, a single incident that triggered the referral "
                "was treated in complete isolation by the referring agency even when the agency "
                "had a significant case history on their own internal records. In these cases if "
                "Careline called the agency back and requested further details they were provided "
                "with the information without any problems, however it would have been beneficial "
                "to receive this information in the first place."
            ),
        ],
        "activities": [
            (
                "LSCB Quality & Audit Evidence Committee (QAEC) to develop response and actions in "
                "response to Audit and findings. Refer to LSCB Team for Update"
            ),
        ],
        "themes": [
            "front_door",
            "thresholds",
            "early_help",
            "information_sharing",
            "domestic_abuse",
        ],
        "agencies": [
            "lscb",
            "csc",
            "police",
            "education",
            "alder_hey",
            "ccg",
            "nspcc",
            "probation",
        ],
        "independent_reviewer": "",
    },
    {
        "kind": "audit",
        "section": "audit",
        "review_type": "multi_agency_audit",
        "audit_type": "thematic",
        "name": "LSCB Neglect Audit",
        "reference": "",
        "date": "2015-09-01",
        "date_label": "Report to LSCB September 2015",
        "overview": (
            "The audit process comprised of two distinct sections, the first being a case file "
            "audit of the written records held on the child. The case file audit tool was "
            "distributed to the lead auditors for each agency as represented at the audit "
            "sub-group of the LSCB. The lead auditors then determined who would complete the audit "
            "within their agency. There was substantial variation in who completed the audit tool "
            "from the frontline practitioner, line manager to the lead auditor who had had no "
            "direct involvement with the case.\n"
            "It was agreed that the multi-agency case file audit would review 10 cases as a "
            "representative sample. It was agreed that the cases would be picked from across the "
            "continuum of need to demonstrate how neglect is assessed and managed across services."
        ),
        "findings": [
            (
                "There was limited engagement with the full audit process from a number of "
                "agencies. The reduced involvement in the process limits the findings of the audit."
            ),
            (
                "It was reported that the progress of some cases had been hindered due to a change "
                "in professionals working on the case. It was reported that new workers on the "
                "case often did not have time to read the full chronology of the case prior to "
                "commencing work with the family. The failure to review the chronology resulted in "
                "some workers not understanding the historical details of the family."
            ),
            (
                "Agencies that have made referrals to Children's Social Care are not always "
                "informed of the outcome of the referral. The joint duty of Children's Social Care "
                "to inform agencies of the outcome of the referral and agencies making referrals "
                "to pursue the outcome of the referral should be stated."
            ),
            (
                "The practitioner focus group question used to elicit the aims of the practitioner "
                "in terms of outcomes for the child was consistently poorly answered. The audit "
                "sub-group will review this question to see if there can be any alterations made "
                "to make it more understandable to practitioners. This will be reviewed within the "
                "next thematic audit as there is a potential that this could reflect a wider issue "
                "of multi-agency work not being child outcome focused."
            ),
            (
                "In some of the cases practitioners identified that there had not been timely "
                "intervention with families this appeared to be more easily identified when the "
                "child had moved in from a different local authority area. There was some "
                "criticism made of decisions that had been made in Liverpool and as such there "
                "needs to be use of an appropriate assessment tool for neglect. The majority of "
                "the agencies reported that they were not using an specific assessment tool for "
                "neglect and would welcome the introduction of such a tool."
            ),
            (
                "In two cases it was identified that when parents were serving custodial sentences "
                "they became removed from the safeguarding plans and work that was being conducted "
                "with families. It was identified however that despite parents serving custodial "
                "sentences they still had a direct impact on the family either through the "
                "children visiting parents or through the emotional impact of the separation or "
                "risks to the family on the parents release. It was noted that it appeared that "
                "there had been limited involvement with the prison service to inform the plans "
                "for the family and this should be considered in future cases."
            ),
            (
                "Practitioners appeared to have the greatest difficulty in understanding the "
                "distinction between when an EHAT and when a Child In Need Plan was required. "
                "Training on the thresholds of need should focus on this area to give "
                "practitioners a more in depth understanding."
            ),
            (
                "There was evidence of good information sharing systems between Children's social "
                "care and AHCH and primary care when a child was subject to a child protection "
                "plan however communication was limited when the child was either de-planned, "
                "looked after or subject to a child in need plan."
            ),
        ],
        "activities": [
            (
                "Audit Referred to LSCB Professional Development Committee (Single agency actions "
                "implemented and reporting to L & I Group)"
            ),
        ],
        "themes": ["neglect", "thresholds", "early_help", "information_sharing"],
        "agencies": ["lscb", "csc", "alder_hey", "ccg", "probation"],
        "independent_reviewer": "",
    },
    {
        "kind": "audit",
        "section": "audit",
        "review_type": "multi_agency_audit",
        "audit_type": "thematic",
        "name": "LSCB Child Sexual Exploitation (CSE) Audit",
        "reference": "",
        "date": "2015-06-01",
        "date_label": "Report to LSCB June 2015",
        "overview": (
            "Initially the audit tool was devised following a review of the Rotherham CSE report "
            "and the Pan-Merseyside CSE Strategy with the aim of benchmarking current practice "
            "against the risks that were identified in Rotherham and the required practice in "
            "Merseyside. The initial CSE audit tool was developed by the Audit Sub-Group in "
            "consultation with the CSE Co-Ordinator.\n"
            "Over 2013/14 93 cases were discussed at Liverpool MACSE meetings therefore it was "
            "agreed that the multi-agency case file audit would review 10 cases as a "
            "representative sample. The full lists of the names of the cases were supplied by the "
            "CSE coordinator and 10 names were then selected. The cases were selected to ensure "
            "that there was a geographical spread across the city to explore if there were any "
            "differences within service provision according to the area that the child or young "
            "person lived in. The cases selected included both male and female victims of CSE to "
            "assess if there were any gender differentials in service provision. The cases were "
            "further selected to ensure that there was representation of victims across the age "
            "range. The ethnicity profile of the victims was examined and a case was selected to "
            "ensure that the experience of children and young people from ethnic minorities were "
            "represented. The educational establishment that the child or young person attended "
            "was taken into account when selecting cases to establish if there are any hotspots of "
            "concern. The cases were further selected to ensure that there was a spread to reflect "
            "cases where the victim has not been assessed as being at high risk of CSE.\n"
            "Subsequently however, the audit group agreed to focus on cases that had been heard at "
            "MACSE on more than one occasion. The focus on these cases was due to the fact that "
            "these were determined to be the most vulnerable and potentially held a window to the "
            "systems and processes of MACSE. The case list was therefore reduced to 9 children in "
            "total."
        ),
        "findings": [
            (
                "CSE 2 form (risk assessment tool) does not appear to be distributed to all of the "
                "agencies involved with the young person as there was limited reference to this "
                "tool in any of the agencies records."
            ),
            (
                "There was discussion regarding whether the scoring of the risk assessment tool "
                "gives partner agencies sufficient information if they have not been part of the "
                "MACSE meetings. Instead of scoring should the information that is transferred be "
                "in relation to areas of risk and accompanying plans/ actions that the agency can "
                "undertake with agencies / young people."
            ),
            (
                "The group discussed whether there should be some form of accelerated protocol for "
                "children and young people who are at risk of CSE to get into alternative school "
                "provision - the issue seemed to be that children and young people who were at "
                "risk of CSE needed to be occupied / distracted from the risks that were around "
                "them. A lot of the provision that was offered was for a limited time period - eg "
                "2 days a week yet there seemed to be evidence of children and young people having "
                "better outcomes if they were involved in full time provision."
            ),
            (
                "LSCB need to issue guidance / directive on when and how to flag records. "
                "Procedures should also be updated to include a clear CSE pathway which lists "
                "within it services that are available for children and young people."
            ),
            (
                "It is felt that there are numerous limitations in terms of the audit process that "
                "was used. The disruption to the audit process in respect of the changing cohort "
                "of cases to be audited cannot be overstated, this impacted on the timescales for "
                "the completion of the audit and for the report and findings to be discussed at "
                "the LSCB within the original specified deadlines."
            ),
        ],
        "activities": ["Audit referred to LSCB CSE Sub Group"],
        "themes": ["cse", "information_sharing"],
        "agencies": ["lscb", "police", "csc", "education"],
        "independent_reviewer": "",
    },
    {
        "kind": "review",
        "section": "audit",
        "review_type": "ofsted_inspection",
        "audit_type": "",
        "name": "Thematic Inspection - In the Child's Time: Professional Responses to Neglect",
        "reference": "",
        "date": "2014-03-01",
        "date_label": "March 2014",
        "overview": "",
        "findings": [
            (
                "Neglectful families are complex, confusing and sometimes overwhelming for "
                "practitioners;"
            ),
            (
                "Some assessments focused almost exclusively on the parents' needs rather than "
                "analysing the impact of adult behaviours on children;"
            ),
            (
                "The pervasive and long-term cumulative impact of neglect on the well-being of "
                "children of all ages is also well documented;"
            ),
            (
                "All aspects of children's development can be, and are, adversely affected by "
                "neglect, including physical and cognitive development, emotional and social "
                "well-being and children's mental health and behaviour;"
            ),
            (
                "The need to take decisive and timely action to protect children is supported by a "
                "wide range of research;"
            ),
            (
                "Nearly half of assessments did not take sufficient account of the family history, "
                "or did not convey the impact of neglect on the child;"
            ),
            (
                "Non-compliance and disguised compliance by parents were common features in cases "
                "reviewed;"
            ),
            (
                "In some cases children became lost in the assessment in the same way in which "
                "they are lost within their own families;"
            ),
            (
                "Drift was identified at some stage in the child's journey in a third of all "
                "long-term cases examined;"
            ),
            (
                "Routine performance monitoring and reporting arrangements to LSCBs infrequently "
                "profile neglect."
            ),
        ],
        "activities": [
            "Liverpool Neglect Strategy",
            (
                "LSCB Multi-Agency Neglect Learning & Improvement Session developed and delivered "
                "(See LSCB Multi Agency Learning & Improvement opportunities calendar)"
            ),
            "Neglect as LSCB Priority 2014-2016",
            "Relevant Single Agency Learning Activities",
        ],
        "themes": ["neglect"],
        "agencies": ["lscb"],
        "independent_reviewer": "",
    },
    {
        "kind": "review",
        "section": "reviews",
        "review_type": "scr",
        "audit_type": "",
        "name": "Child A (Alex)",
        "reference": "",
        "date": "2016-07-01",
        "date_label": "Report Completed July 2016",
        "overview": (
            "A Serious Case review was undertaken in 2016. Details of the case including a case "
            "overview cannot be shared at this time due to ongoing investigations."
        ),
        "findings": [
            (
                "The guidance in relation to bruising in non-mobile babies is unequivocal and "
                "states that any bruising in non-mobile babies is a potential indicator of risk "
                "and that a safeguarding referral must be made where it is present."
            ),
            (
                "Professionals should always check out parental understanding and give additional "
                "support where necessary. Where assessments about parenting are being undertaken "
                "(either formally of informally), ensure that parental understanding of "
                "developmental milestones is discussed and that any observations about parenting "
                "capacity are recorded and included in an assessment which is shared amongst "
                "relevant professionals."
            ),
            (
                "Where there is limited multi-agency input into the final CIN meeting; there may "
                "be a lack of rigour in ensuring that families are supported sufficiently during "
                "transition to Early Help services. If the case is being 'stepped down to early "
                "help' ensure that the relevant professionals who will be offering continued or "
                "ongoing supported are invited."
            ),
            (
                "If there is little focus on exploring father's potential vulnerabilities it is "
                "possible that subsequently risk factors may not be identified. Professionals "
                "should therefore always take full account of the influence that fathers have on "
                "the family and ensure that any vulnerabilities or risk factors feature in "
                "assessments, referrals and interventions."
            ),
        ],
        "activities": [
            (
                "Learning incorporated into LSCB multi-agency Learning from Review Sessions and "
                "case study used at two day Working together Training (Induction). (See LSCB Multi "
                "Agency Learning & Improvement opportunities calendar)."
            ),
            (
                "Multi Agency Practice Guidance 'Responding to concerns about bruising in Babies "
                "and Children not yet independently mobile' has been developed."
            ),
            (
                "Sixty Briefing undertaken to multi agency workforce co facilitated by colleagues "
                "Alder Hey Rainbow Centre."
            ),
            "SCR Newsletter Features, Findings and Learning developed and widely disseminated.",
            "SCR newsletter uploaded to LSCB website and Early Help Directory.",
            (
                "Review activity captured across single agency workforce through LSCB Professional "
                "Development Committee."
            ),
        ],
        "themes": ["early_help", "information_sharing"],
        "agencies": ["lscb", "csc", "alder_hey", "ccg", "community_health"],
        "independent_reviewer": "",
    },
    {
        "kind": "review",
        "section": "reviews",
        "review_type": "scr",
        "audit_type": "",
        "name": "Child C (Chris)",
        "reference": "",
        "date": "2016-07-01",
        "date_label": "Report Completed July 2016",
        "overview": (
            "A Serious Case review was undertaken in 2016. Details of the case including a case "
            "overview cannot be shared at this time due to ongoing investigations."
        ),
        "findings": [
            (
                "The grading of domestic abuse incidents is determined by local policy guidelines "
                "which are based on the judgment of those attending the incident or those "
                "subsequently subject to disclosure about the incident. When a MERIT risk "
                "assessment has not been completed or refused the reasons for this should be "
                "noted. All agencies should ensure that in cases where victims who do not have "
                "English as a first language, this should not act as a barrier to completion of "
                "the MERIT risk assessment."
            ),
            (
                "Professionals within agencies should be clear about information sharing "
                "requirements in relation to domestic abuse incidents and made aware of the "
                "importance of the use of interpreters and the impact this may have on disclosure "
                "and the pathway to specialist domestic abuse services for migrant and other "
                "victims who speak little or no English?"
            ),
            (
                "Current practice within agencies, in relation to cultural competence and "
                "safeguarding should be in line with national professional guidance and responsive "
                "to the needs of specific communities. Agencies must ensure that professional "
                "interpreter services are always used by agencies; the use of family members or "
                "others is not acceptable practice."
            ),
            (
                "The availability of health and social care records for migrants to the UK has "
                "been identified as a significant national issue. As a result, services are "
                "reliant on self-report information upon which to base professional judgments and "
                "the provision of services."
            ),
        ],
        "activities": [
            (
                "Learning incorporated into LSCB multi-agency Learning from Review Sessions and "
                "case study used at two day Working Together Training (Induction). (See LSCB Multi "
                "Agency Learning & Improvement opportunities calendar)."
            ),
            (
                "Multi Agency Learning Event 'Safeguarding Children in New and Emerging "
                "Communities' taking place 1st February 2017."
            ),
            "SCR Newsletter Features, Findings and Learning developed and widely disseminated.",
            "SCR newsletter uploaded to LSCB website and Early Help Directory.",
            (
                "Review activity captured across single agency workforce through LSCB Professional "
                "Development Committee."
            ),
        ],
        "themes": ["domestic_abuse", "cultural_competence", "information_sharing"],
        "agencies": ["lscb", "police", "csc", "ccg", "community_health"],
        "independent_reviewer": "",
    },
    {
        "kind": "review",
        "section": "reviews",
        "review_type": "multi_agency_thematic",
        "audit_type": "",
        "name": "Family M",
        "reference": "",
        "date": "2016-07-01",
        "date_label": "Report Completed July 2016",
        "overview": (
            "This Multi-Agency Thematic Review concerns the four M children, of whom the younger "
            "three were, from birth, subject to long standing parental neglect; and later on, "
            "sexual abuse and exploitation, exposure to drug and alcohol misuse and criminal "
            "activity, non-school attendance, domestic abuse, poor home conditions and concerns "
            "about hygiene, injuries to the children, mental health issues and self-harming "
            "incidents.\n"
            "There had been ongoing multi-agency involvement with the family since March 1996 and "
            "concerns had been raised that multi-agency interventions were ineffective and had "
            "failed to safeguard the needs of the M children.\n"
            "The case was considered by the Liverpool Safeguarding Children Board in early 2015 "
            "for a Serious Case Review and deemed not to have met the criteria in Chapter 4 of "
            "'Working Together' 2015. However, it was the view of the Chair of the Board that an "
            "independent Multi-Agency Thematic Review should be commissioned in order to address "
            "any criticisms and identify any lessons."
        ),
        "findings": [
            # Child Sexual Abuse and Sexual Exploitation
            (
                "Practitioners would benefit from clarity from LSCB with the regards to the "
                "development of a practitioner 'end to end' flow chart of the journey of the young "
                "person through the CSE pathway."
            ),
            (
                "A lack of clarity in relation to the current protocol in regard to the Child "
                "Sexual Exploitation pathway and procedures"
            ),
            "A lack of a coordinated Child Protection/CSE Plan",
            (
                "Deficits in the quality of agency management oversight and supervision of "
                "practitioners"
            ),
            # The Effectiveness of Multi-agency Practice and Action Regarding the Children's neglect
            (
                "Placement plans with extended families as part of either a Child Protection Plan "
                "or CiN plan need to be followed through to completion by CSC and core/CiN groups."
            ),
            (
                "CiN plans when 'stepped down' from Child Protection Plans need to be subject to a "
                "robust and rigorous APIR (assessment, planning, implementation, review) case "
                "management cycle approach that includes effective management oversight."
            ),
            (
                "Single assessments need to be updated when proposals are made to return children "
                "who are, or have been subject to Child Protection Plans, to carers who have "
                "caused them significant harm."
            ),
            (
                "Subject to an updated single assessment, consideration should be given to putting "
                "children on repeat Child Protection Plans where they have previously been placed "
                "with extended family or friends and de-planned; and there are proposals to return "
                "them to carer's who have caused the original significant harm."
            ),
            (
                "Core/CiN groups should, when necessary, challenge the efficacy of premature case "
                "closure by an agency and use the LSCB dispute resolution process when needed."
            ),
            # Episodes of Care Planning
            (
                "The previous case history should always be factored in to the current assessment "
                "of need and risk for children."
            ),
            (
                "The dangers of the 'Start again syndrome' need to be considered as do the impact "
                "and consequences of 'cumulative harm' for the child, especially in long standing "
                "and complex cases of neglect."
            ),
            (
                "The child or young person's voice and sense of their 'lived experience' should be "
                "central to the case management cycle of assessment, planning, implementation and "
                "review (APIR)"
            ),
            (
                "Each child should have their own assessment, especially where there is long "
                "standing neglect."
            ),
            "Plans should have SMART objectives and outcomes for the child/young person.",
            (
                "Case drift should be avoided through reflective management supervision, timely "
                "decision making, effective review and challenge by the Independent Reviewing "
                "service and the recourse to legal pre-proceedings when necessary."
            ),
            (
                "Evidence of an effective core group progressing the Child Protection Plan and "
                "meeting regularly."
            ),
        ],
        "activities": [
            (
                "The efficacy of the current CSE Protocol and Strategy is currently being "
                "reviewed. Once a new protocol has been developed, a programme of quality ('Deep "
                "dive') case audits into multi-agency practice will be undertaken in order to test "
                "the efficacy of any changes. Ongoing"
            ),
            (
                "Further development and monitoring of the action plan completed following (July "
                "2016) Ofsted, 'Child Sexual Exploitation and missing from home, care or "
                "education' Joint Area Targeted Inspection."
            ),
            (
                "The LSCB has given clarity and developed a practitioner 'end to end' flow chart "
                "of the journey of the young person through the CSE pathway."
            ),
        ],
        "themes": [
            "neglect",
            "cse",
            "management_oversight",
            "domestic_abuse",
            "substance_misuse",
            "camh",
        ],
        "agencies": ["lscb", "csc", "police", "education"],
        "independent_reviewer": "",
    },
    {
        "kind": "review",
        "section": "reviews",
        "review_type": "scr",
        "audit_type": "",
        "name": "Child N",
        "reference": "",
        "date": "2015-05-01",
        "date_label": "Report Published May 2015",
        "overview": (
            "Serious Case Review by Lancashire SCB, supported by LSCB agencies.\n"
            "In May 2014 Child N and his mother died in a house fire in Liverpool. At the "
            "subsequent inquests, the coroner ruled that Child N had been unlawfully killed and "
            "that his mother had deliberately started the fire. The family had extensive "
            "involvement with professionals in both Lancashire and Liverpool with longstanding "
            "on-going private law proceedings.\n"
            "The Serious Case Review concluded that the professionals involved with Child N and "
            "his family, in both Liverpool and Lancashire, could not have predicted or prevented "
            "Child N's death. However, the review has identified areas of learning for "
            "practitioners and organisations that may help you in working with families in the "
            "future."
        ),
        "findings": [
            (
                "Child N's mother had four mental health assessments between 2004 and 2012 and "
                "none resulted in a diagnosis of mental illness. However, she did have symptoms of "
                "anxiety and her behaviour was at times odd and concerning. Whilst the coroner and "
                "the review both concluded that nobody could have predicted mother would "
                "tragically kill Child N or that he was at immediate risk, there had been "
                "opportunities for people to really understand what it was like to be her child; "
                "to be living with her anxiety, unreliability and behaviour."
            ),
            (
                "The mother of child N made numerous allegations that father had been violent "
                "towards her, or threatened her with violence; directly or through associates. "
                "There were no witnesses to these incidents, although professionals took them "
                "seriously. At a Finding of Fact Hearing in 2010, most of the allegations against "
                "father were found unproven. The small number that were deemed to be true were not "
                "felt to have been as serious as mother alleged. However, professionals involved "
                "with the family were not told of this outcome, and continued to be unsure about "
                "who or what to believe amidst continuing allegations."
            ),
            (
                "Child N was the subject of repeated private and public law proceedings for three "
                "years of a five year life. There was ongoing hostility between parents, and "
                "mother tested and defied Court imposed decisions. Child N was known by different "
                "names to each parent, and the adults caring for him had differing routines and "
                "expectations."
            ),
            (
                "This review raised a number of issues about workloads and practice. Some agencies "
                "had recording systems that made it difficult for practitioners. In some agencies "
                "workloads and vacancy rates impacted on the ability to deliver a high quality "
                "service."
            ),
        ],
        "activities": [
            (
                "Learning incorporated into LSCB multi-agency Learning from Review Sessions (See "
                "LSCB Multi Agency Learning & Improvement opportunities calendar)"
            ),
            "SCR Newsletter Child N widely disseminated",
        ],
        "themes": ["parental_mental_health", "domestic_abuse", "information_sharing"],
        "agencies": ["lscb", "csc", "police", "ccg"],
        "independent_reviewer": "",
    },
    {
        "kind": "review",
        "section": "reviews",
        "review_type": "scr",
        "audit_type": "",
        "name": "LSCR 1402 (Child known as Mary)",
        "reference": "LSCR 1402",
        "date": "2014-06-01",
        "date_label": "Findings to LSCB June 2014",
        "overview": (
            "Unexpected death of a six month old baby. Death recorded as 'unascertained' and "
            "number of risk factors linked to sudden unexplained death in infancy (SUDI) present "
            "including parental smoking and prematurity.\n"
            "Family were not in receipt of any services at the time of Mary's death, previous "
            "concerns had been expressed about the care of the older children."
        ),
        "findings": [
            (
                "The cumulative impact of neglect can go unrecognised where the history and "
                "context of all available information is not considered."
            ),
            (
                "There is confusion and tension between agencies and Careline where agencies "
                "consider thresholds for referral in relation to Neglect to be too high."
            ),
            (
                "CAF is not well embedded into multi-agency practice and its status as a form of "
                "early intervention is not clear."
            ),
            (
                "The failure to effectively assess whether parents have the capacity, willingness "
                "and motivation to work with professionals on agreed concerns results in increased "
                "frustration for all parties and leads to drift and delay in addressing the needs "
                "of children, especially where neglect is a factor."
            ),
            (
                "The lack of a multi-agency system for monitoring missed medical appointments "
                "results in professionals missing potentially significant indicators of neglect. "
                "The use of the term 'Did Not Attend' is misleading. The implications of repeated "
                "'no access' visits should be made explicit for staff in all agencies"
            ),
        ],
        "activities": [
            "Learning from review session with author 07.11.14",
            (
                "Learning incorporated into LSCB multi-agency Learning from Review Sessions (See "
                "LSCB Multi Agency Learning & Improvement opportunities calendar)"
            ),
            "SCR Newsletter Child Mary widely disseminated",
        ],
        "themes": ["sudi", "neglect", "thresholds", "early_help"],
        "agencies": ["lscb", "csc", "ccg", "community_health"],
        "independent_reviewer": "",
    },
    {
        "kind": "review",
        "section": "reviews",
        "review_type": "scr",
        "audit_type": "",
        "name": "LSCR 1402 (known as Child Maisie)",
        "reference": "LSCR 1402",
        "date": "2014-06-01",
        "date_label": "Findings to LSCB June 2014",
        "overview": (
            "Maisie died unexpectedly aged 25 days old. Cause of death as recorded as Sudden "
            "Infant Death syndrome. Two previous children in the family had also previously died "
            "of natural causes shortly after birth.\n"
            "Maisie's mother had a history of alcohol misuse and had previously received "
            "therapeutic interventions to reduce her consumption and develop coping mechanisms. "
            "There was a history of Domestic Violence in the parent's relationship."
        ),
        "findings": [
            (
                "There were a number of opportunities to engage the family in CAF that were not "
                "taken by professionals. Had CAF been considered there may have been an "
                "opportunity to engage mother and increase resilience."
            ),
            (
                "Information about a previous Serious Case review relating to this family was not "
                "shared across local authority borders, nor was it shared across agencies."
            ),
            (
                "Thresholds for intervention are perceived differently by professionals within the "
                "safeguarding system."
            ),
        ],
        "activities": [
            "Authors presentation to LSCB June 2014",
            "Learning from review session with author 07.11.14",
            "Learning incorporated into multi-agency training",
            (
                "Learning incorporated into LSCB multi-agency Learning from Review Sessions (See "
                "LSCB Multi Agency Learning & Improvement opportunities calendar)"
            ),
            "SCR Newsletter Child Maisie widely disseminated",
        ],
        "themes": [
            "sudi",
            "early_help",
            "information_sharing",
            "thresholds",
            "substance_misuse",
            "domestic_abuse",
        ],
        "agencies": ["lscb", "csc", "community_health", "ccg"],
        "independent_reviewer": "",
    },
    {
        "kind": "review",
        "section": "reviews",
        "review_type": "critical_case_review",
        "audit_type": "",
        "name": "LCIR 1310 (Child known as John)",
        "reference": "LCIR 1310",
        "date": "2014-06-01",
        "date_label": "Findings to LSCB June 2014",
        "overview": (
            "Death of a three year old child. No apparent suspicious circumstances associated with "
            "the death and John was subsequently found to have died from natural causes.\n"
            "There had been significant family history of involvement with Children's Services. At "
            "the time of John's death John and his siblings were the subjects of Child in Need "
            "Plans."
        ),
        "findings": [
            (
                "Multi-Agency Professionals can work together harmoniously and create the pathway "
                "for families to engage and achieve better outcomes for children"
            ),
            (
                "Maintaining a focus on alleged perpetrators in initial safeguarding planning is "
                "critical to achieving a whole family approach to safety planning"
            ),
            (
                "Children's Plans and Reviews of Plans need to clear in objective, task and "
                "outcome focussed."
            ),
        ],
        "activities": [
            "Authors presentation to LSCB June 2014",
            "Learning from review session with author 07.11.14",
            "Learning incorporated into multi-agency training",
            (
                "Learning incorporated into LSCB multi-agency Learning from Review Sessions (See "
                "LSCB Multi Agency Learning & Improvement opportunities calendar)"
            ),
        ],
        "themes": ["management_oversight"],
        "agencies": ["lscb", "csc"],
        "independent_reviewer": "",
    },
    {
        "kind": "review",
        "section": "reviews",
        "review_type": "thematic_review",
        "audit_type": "",
        "name": "LTR 1402 M (Adult)",
        "reference": "LTR 1402",
        "date": "2014-06-01",
        "date_label": "Findings to LSCB June 2014",
        "overview": (
            "Murder of a 19 yr old YP A by a group of youths by stabbing. Following police "
            "investigations 6 young people (5 children) and one young man were charged with murder."
        ),
        "findings": [
            (
                "There is a lack of clarity about procedures and processes for intervention in "
                "cases where there is family/domestic violence initiated by young people under the "
                "age of 16 years."
            ),
            (
                "The inter agency information sharing systems relating to youth gang activity are "
                "not sufficiently developed to allow early identification and multi-agency "
                "interventions by agencies. There are additional constraints because of 'silo' "
                "working and the agency focus on specific individual cases."
            ),
            (
                "There is a fundamental weakness, at present, in that the ranges of therapeutic "
                "interventions for young people with 'conduct' type behaviour disorders are not "
                "producing positive outcomes. Other therapeutic models such as Multi-systemic "
                "Therapy should be explored."
            ),
            (
                "There is a significant gap between strategic aspirations/procedural guidance and "
                "practice in relation to ending youth and gang violence. To be effective the "
                "planning processes need to address how policy is going to be implemented at a "
                "practitioner level."
            ),
            (
                "There was very little evidence, from these cases, about the effectiveness of "
                "early intervention and parenting programmes, although most of the children "
                "displayed behaviour and attachment problems from an early age. It would be "
                "prudent to ensure that the effectiveness of Early Years interventions is closely "
                "monitored"
            ),
        ],
        "activities": [
            "Authors presentation to LSCB June 2014",
            "Learning from review session with author 07.11.14",
            "Learning incorporated into multi-agency training",
            (
                "Learning incorporated into LSCB multi-agency Learning from Review Sessions (See "
                "LSCB Multi Agency Learning & Improvement opportunities calendar)"
            ),
        ],
        "themes": [
            "youth_violence",
            "criminality",
            "domestic_abuse",
            "information_sharing",
            "camh",
            "early_help",
        ],
        "agencies": ["lscb", "police", "yos", "csc", "education"],
        "independent_reviewer": "",
    },
    {
        "kind": "review",
        "section": "cdop",
        "review_type": "cdop_learning",
        "audit_type": "",
        "name": "Merseyside CDOP 2015/16",
        "reference": "",
        "date": "2016-03-31",
        "date_label": "2015/16",
        "overview": "Source: Merseyside CDOP. Period covered: 2015/16.",
        "findings": [
            (
                "Infant Mortality: Infant mortality is an area of concern for the north-west and "
                "in particular Merseyside. Greater Manchester Public Health began planning a "
                "north-west workshop to be held in 2016. CDOPs were largely unrepresented although "
                "it was information from one of the Greater Manchester CDOP Chairs that instigated "
                "the interest and henceforth the planned work. The aim of the workshop is to share "
                "best practice with a view to substantially reducing the infant mortality rate."
            ),
            (
                "Birth-weight: Low birth weight, one of the known risk factors for infant deaths, "
                "was evident in 58 out of 113 categorised deaths. 20 of the 57 neonatal and 6 of "
                "19 infant deaths had smoking within the household recorded as a factor. Mothers "
                "smoking is noted as a major risk factor contributing to low birth-weight. Babies "
                "born to women who smoke weigh, on average, 200g less than babies born to "
                "non-smokers. It is therefore imperative that we ensure the questions relating to "
                "social factors are completed as comprehensively as possible. There were 5 mothers "
                "aged 20 years and under and of these 5 the birth weight of 2 was fine, a further "
                "one was slightly under and 2, both premature, had low birth weights. In response "
                "to learning from neonatal and infant reviews and the risk factors inherent in "
                "unsafe sleeping practices a Safe Sleeping Campaign was launched in December 2015 "
                "and remains ongoing."
            ),
            (
                "Body Mass Index: Awareness that the mothers in a significant number of neonatal "
                "deaths have high body mass index (BMI) led to the question being added into the "
                "agency report form with a request that agencies date the figure regarding when it "
                "was calculated. This will assist CDOP to consider this over a greater period of "
                "time and identify whether this is a consistent feature in child deaths. The "
                "emerging issue has been discussed at the North West CDOP meeting and it will be "
                "proposed at the next meeting that all CDOPs involved gather this data to aid "
                "analysis."
            ),
            (
                "Incidence of Statutory Orders/Child Protection Plans/Child in Need Plans: There "
                "were no deaths of children on child protection plans (CPP) but for one child "
                "death in Liverpool there had been a previous child protection plan. This is the "
                "same child who was looked after at the time of death and had a life limiting "
                "condition. The remaining four areas had no child deaths relating to looked after "
                "children. With regard to child in need status (CiN) Sefton and St Helens had the "
                "most child deaths across Merseyside of children with this status. Liverpool and "
                "St Helens had the greater number of child deaths where a child in need status had "
                "previously applied. Knowsley and Wirral had the fewest deaths where child in need "
                "status previously applied."
            ),
            (
                "Deprivation and child Deaths: The link between deprivation and a higher risk of "
                "child deaths is long-established and can be connected to a variety of factors "
                "including the generally higher prevalence of risk-taking behaviour, unhealthy "
                "lifestyles and poorer domestic situations leading to violence etc. Figures show "
                "that from the 115 deaths categorized in 2015-16, 52 deaths occurred in the two "
                "most deprived quintiles which accounts for 45% of the deaths, compared to 31 "
                "deaths in the two least deprived quintiles, which represents 27%. When Merseyside "
                "deaths are considered relative to the national picture it shows that 85, "
                "constituting 74% of child deaths, occurred in the two most deprived quintiles and "
                "only 13% featured in the two least deprived quintiles. Detailed information "
                "relating to causes can be viewed in the Merseyside CDOP Annual Report 2015-16 on "
                "the LSCB website."
            ),
            (
                "Suicide: There have been 24 deaths from suicide since 2008 but seven occurred in "
                "Merseyside during 2015-16, the same as during 2014-15. There were six deaths "
                "categorised as suicide in 2015-16. Merseyside CDOP plan to focus on suicide "
                "prevention and will begin by establishing what is happening in areas at the "
                "current time."
            ),
            (
                "Assessing parental risk factors at time of death: The need for greater reporting "
                "of social factors to assist in more detailed analysis has to be emphasised again "
                "this year as in previous years. It has been shown that it is important to have "
                "information relating to mothers, smoking and neonatal deaths but it is equally "
                "important to record whether other adults in the household smoke. Likewise, it is "
                "appropriate to know what family life experiences children have prior to their "
                "death to assist with engaging in informed scoring, categorisation and influencing "
                "any recommendations for change."
            ),
        ],
        "activities": [
            "CDOP Briefing sessions delivered",
            "Safer sleeping sessions delivered 2015/16",
        ],
        "themes": ["sudi", "camh", "information_sharing"],
        "agencies": ["cdop", "community_health", "lscb"],
        "independent_reviewer": "",
    },
    {
        "kind": "review",
        "section": "performance",
        "review_type": "performance_management",
        "audit_type": "",
        "name": "LSCB Performance Management 2015/16",
        "reference": "",
        "date": "2016-03-31",
        "date_label": "2015/16",
        "overview": (
            "Source: LSCB Priority Leads (Ref: LSCB annual Report 2015/16). Period covered: "
            "2015/16."
        ),
        "findings": [
            # Priority 1: Neglect
            (
                "Neglect is no longer the highest category for children on child protection plans. "
                "This is contrary to previous yearly trends. It is difficult to attribute this "
                "change to a single casual factor. Emotional harm is now the highest reported "
                "category. There is an overlap between emotional abuse and many forms of child "
                "maltreatment and this is especially true of neglect. The rate of children who "
                "were the subject to a protection plan (at the 31st March 2015) per 10,000 "
                "children is below the core city average. There was a slight reduction in 2015/16 "
                "from 2014/15, 47.4 compared to 49.9."
            ),
            # Priority 2: Early Help
            (
                "The rate of children per 10,000 of the population (< 18 year) who have been the "
                "beneficiary of an early assessment in 2015-16 was 264.9 per 10,000. This equates "
                "to a 20% increase on the previous year. The North West average reported at the "
                "end of Quarter 2, (more recent information is not yet available), was 47 per "
                "10,000. Based on this figure, Liverpool's performance is 10% higher than the "
                "Liverpool average."
            ),
            (
                "This increase is a positive development however it continues to compare "
                "unfavourably with the Liverpool Children in Need population. The rate per 10,000 "
                "of children, who became Children in Need 2014/15 in Liverpool was 461.6 compared "
                "to the core city average 396.5 per 10,000. The Children in Need rate per 10,000 "
                "for 2015/16 in Liverpool is 454.7. It is not possible to compare this to the core "
                "city average as data is not yet available. (Figures will be reviewed when the "
                "2015/16 national information is available.) The number of Children in Need is "
                "unlikely to reduce unless there is significant acceleration in the number of "
                "child beneficiaries of early help. This also applies to the number of children "
                "subject to a child protection plan and the number of Children Looked After."
            ),
            (
                "The continued overall increase in the number of child beneficiaries is "
                "encouraging. Primary schools continue to make positive progress. There has been "
                "an increase of 70.4% (child beneficiaries of early help assessments) compared "
                "2014/15. This positive development is also mirrored by secondary schools where "
                "there has been an increase of 60.5% on the previous year. It is important to note "
                "these relatively high percentages reflect the low levels of activity in the "
                "preceding year and whilst it is encouraging that the number of early help "
                "assessments in secondary schools continues to increase, the average number at "
                "year-end is just 4.48 per secondary school."
            ),
            (
                "Four agencies continue to be responsible for 77% of the total number of "
                "assessments reported in 2015/16; Children's centres [30%]; Primary Schools "
                "[20.7%], Outreach Family Support Workers located in the three Early Help Hubs "
                "[12.7%], School Outreach Support Service [13.3%]. Despite improving performance "
                "management information it is still evident that early help is not yet fully "
                "embedded across the entire children's workforce and that agencies appear to be "
                "risk averse when expected to support families with early help services across "
                "multi-agency partnerships."
            ),
            (
                "Children's centres accounted for 30% of all assessments in 2015/16. Future "
                "funding for centre staff is not yet secure and as such there is a risk this "
                "workforce could potentially shrink by two thirds. This would have a significant "
                "impact on early help activity."
            ),
            (
                "It is very encouraging to note that, from performance information, in Quarter 4 "
                "there was an increase in the number of assessments opened by health visiting and "
                "school nursing services. The numbers of assessment in the final quarter were "
                "equal to the total numbers within the preceding three quarters. It import this "
                "universal health service continue to work to try to embed early help. Despite the "
                "increase in the final quarter, health-visiting services accounted for only 3.4% "
                "of all early help assessments in 2015/16. Additional resources have been secured "
                "to support health-visiting services."
            ),
            (
                "It is important that midwifery services also closely review their front line "
                "staff engagement with early help. Midwifery services account for only 0.1% of all "
                "early help assessments in 2015/16. This equates to just one early help "
                "assessment. Midwifery services should be using the early help assessment tool "
                "prior to contacting Care Line to refer women for a social care assessment when "
                "they are 26 weeks pregnant. Additional resources have been secured to support "
                "midwifery services."
            ),
            (
                "There were 3515 referrals for the first 2 quarters in 2016/17, compared to the "
                "same period in 2015/16 (a reduction of 12.4% - 499 referrals less). However, the "
                "full year forecast is a reduction of 6.6% taking account of seasonal variations. "
                "This is in addition to a 5.4% reduction in 2014/15 and the 7.2% reduction in "
                "2015/16. The casual factors are unlikely to be singular however, the reduction "
                "correlates with evidence of an increase early help activity. (Note: The "
                "development of a MASH is usually followed by an increase in referrals to "
                "children's social care. This is not evident in Liverpool)."
            ),
            (
                "There has been an increase in the number of referrals stepped down or closed with "
                "Care Line. These referrals do not meet the threshold for statutory intervention. "
                "This indicates that additional workforce development is required to embed a "
                "clearer understanding of the Levels of Need and to enable practitioner to manage "
                "perceived risk. Workforce develop initiatives are planned."
            ),
            # Priority 3: Child Sexual Exploitation
            (
                "Victims of CSE are predominantly female (92%). A significant and increasing "
                "number of victims are however male (8%)."
            ),
            (
                "The ethnicity profile and distribution of victims broadly matches the ethnicity "
                "profile of the city."
            ),
            "The greatest number of referrals to the MACSE relate to children aged 14 - 16.",
            "Approximately 20% of referrals to MACSE relate to children aged under 13.",
            "The distribution of CSE victims is citywide.",
            "The majority of CSE victim are White British",
            (
                "Perpetrators or those suspected of perpetrating CSE are predominantly males "
                "however an increasing number of females are known or suspected of perpetrating "
                "CSE."
            ),
            "There is no evidence to date of a link to any particular ethnic group or community.",
            (
                "Internet and social media activity relate to a majority of CSE referrals. "
                "(Grooming in this context is a particular issue)"
            ),
            "The majority of referrals to MACSE come from Police and Children's Social Care.",
            (
                "The profile information in relation to victims and perpetrators is derived from "
                "Multi-Agency CSE (MACSE) meetings via forms CSE1 and 2. These tools are currently "
                "being reviewed in order to capture additional information required."
            ),
            (
                "The impact of significant awareness raising activity and training for "
                "professionals is evidenced by an increasing number of referrals into the "
                "Liverpool MACSE during 2015/16."
            ),
            (
                "Whilst an increase in referrals to the Liverpool MACSE is positive and indicates "
                "awareness of CSE indicators and behaviours on occasion, following appropriate "
                "investigation, it can be found that some referrals do not relate to CSE. Work is "
                "continuing that supports professionals to more accurately respond to concerns so "
                "that the response, support and intervention appropriately address the needs of "
                "all children and young people as they emerge or become known. As part of this "
                "work LSCB, in consultation with a range of partners, continues to update its "
                "Responding to Need Guidance and Levels of Need Framework."
            ),
            (
                "At this time there is no information to specifically determine the type of CSE "
                "that children in Liverpool are experiencing as this information to date has not "
                "routinely been collected. Revision of referral documents in intended for 2015/16 "
                "which will enable a profile of CSE type; Boyfriend Model, Online, Organised/ "
                "networked sexual exploitation or trafficking, Party Model, Peer to Peer, Group / "
                "Gang exploitation, to be better determined. Further work is also required to "
                "better understand the outcomes of cases referred to MACSE. A review and revision "
                "of documentation to include a MACSE plan for each case referred is currently "
                "being progressed."
            ),
            # Priority 4: Child & Adolescent Mental Health
            (
                "LSCB chose Child Mental and Emotional Health (including that at CAMHS Tier 2/3) "
                "Self-Harm and Attempted Suicide recognising that Liverpool has had a number of "
                "serious incidents related to young people some of whom were in receipt of mental "
                "health services in the last 5-6 years, some of which were subject to a Serious "
                "Case Review (SCR). In addition, the challenges that some families are "
                "experiencing means that children are living in circumstances which do not support "
                "the development of resilience to promote good mental health. This means that "
                "commissioners and providers of services to children and families have to ensure "
                "that services are able to support families to do this in the broadest sense, and "
                "that across Liverpool the different strands of work that contribute to this are "
                "brought together to ensure maximum impact. The LSCB having a focus on this "
                "important area of work emphasises the importance of this work."
            ),
            # Priority 5: Children Affected by Criminality
            (
                "The number of offences committed by children and young people in Liverpool "
                "decreased by 18.4% in 15/16 when compared with 14/15."
            ),
            (
                "The number of First Time Entrants to the Criminal Justice system has been "
                "declining since 2010 and continues to decline."
            ),
            (
                "In 2015/16 there were 124 new referrals to the Prevention team in Targeted "
                "Services for Young People, only one of these young people went on to offend."
            ),
            (
                "Of the young people who participate in the Out of Court Disposals project between "
                "Merseyside Police and Targeted Services for Young People 90% have not offended in "
                "the 12 months following the intervention."
            ),
            (
                "The under 18 female who offend in Liverpool is 7% compared with the national "
                "average of 18%."
            ),
            (
                "The number of custodial sentences imposed fell from 154 sentences in 2014/15 to "
                "103 in 15/16 and the number of young people receiving custodial sentences fell "
                "from 47 in 14/15 to 32 In 15/16."
            ),
            (
                "The number of offences committed by young people, at high risk of re-offending "
                "this has fallen by 54% between April 2014 and March 2016."
            ),
            # Priority 6: Front Door
            (
                "Volume of demand on Careline: Liverpool has a very high referral rate to the "
                "front door. Liverpool has the third highest referral rate in the north west of "
                "England and continues to be a statistical outlier. The demand on Careline is far "
                "higher than the published referral rate by the DfE. There are a large number of "
                "contacts that require significant work in Careline to evaluate risk. This will "
                "include creation of chronologies, contact with partner agencies and parents prior "
                "to analysing the risk to vulnerable children. This is resource-heavy and time "
                "consuming."
            ),
            (
                "Total Number of Referrals to Children's Social Care: 2014-15: Q1 2182, Q2 1826, "
                "Q3 1951, Q4 2133, total 8092; 2015-16: Q1 2204, Q2 1908, Q3 1376, Q4 1765, total "
                "7300."
            ),
            (
                "Referrals to Children's Social Care by Referring Agency 2015/16 (Q1-4 total, %): "
                "Police 1949 (26.7%); Schools 1061 (8.8%); Other 543 (7.4%); Individual - Family "
                "460 (6.3%); Education services 336 (10.3%); Health - Other Primary Health Source "
                "539 (7.4%); Health - A & E 428 (5.9%); LA Services - Social Care 402 (5.5%); Not "
                "recorded 257 (3.5%); Other legal agency 336 (4.6%); Anonymous 266 (3.6%); LA "
                "Services - External 127 (1.7%); Health Services - Other 146 (2.0%); LA Services - "
                "Other Internal (Excluding Housing) 135 (1.9%); Health - GP 78 (1.1%); Housing 100 "
                "(1.4%); Health - HV 47 (0.6%); Individual - Other 21 (0.3%); Individual - "
                "Acquaintance 24 (0.3%); Health - School Nurse 9 (0.1%); Unknown 16 (0.2%); "
                "Individual - Self 15 (0.2%); Total 7295 (100.0%)."
            ),
            (
                "A significant number of cases referred to Careline do not result in single "
                "assessments. The data below indicates that 5709 single assessments were completed "
                "in 2015/16 out of 7295 referrals, and a further 4,400 cases that did not progress "
                "to a single assessment following background checks and an evaluation of risk. It "
                "is not clear how the below data has been impacted by recording issues. This is "
                "especially relevant for Q3 figures (891) which seems too low and coincided with "
                "the introduction of Liquid Logic"
            ),
            (
                "Number / % of Referrals to CSC Leading to a Single Assessment: 2014-15: total "
                "6975 (86.2%); 2015-16: Q1 1776, Q2 1448, Q3 891, Q4 1594, total 5709 (78.2%)."
            ),
        ],
        "activities": [
            "Summary review of 2015/16 presented to LSCB 03.11.16",
            (
                "2015/16 Performance Management 'Review and Effectiveness' included in LSCB Annual "
                "Report (1051/16)"
            ),
        ],
        "themes": [
            "neglect",
            "early_help",
            "cse",
            "camh",
            "criminality",
            "front_door",
            "thresholds",
        ],
        "agencies": [
            "lscb",
            "csc",
            "police",
            "education",
            "community_health",
            "ccg",
            "alder_hey",
            "yos",
            "housing",
        ],
        "independent_reviewer": "",
    },
]
