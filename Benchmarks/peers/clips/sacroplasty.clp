;;; Sacroplasty exclusion and eligibility (knowledge base P1-P4) for CLIPS 6.30 (Debian's clips).
;;; The same decision as Benchmarks/peers/sacral (the shipped rule files for P1-P4) and
;;; zen/sacroplasty.json, with the thresholds of Rules/thresholds.lua (scripts/bench-peers.sh checks
;;; that they still agree). A field the case does not give is the symbol unknown.
;;;
;;; Each criterion is a rule that asserts a finding: fired (with the rank of its status in the
;;; precedence of P19) or unknown (with the rank it could reach). Per lesion, the strongest fired
;;; rank decides; an unknown finding holds an otherwise eligible lesion (option or recommended)
;;; undetermined (P15).
;;;   rank 1 contraindicated/absolute, 2 not_indicated, 3 contraindicated/relative,
;;;        4 undetermined, 5 option, 6 recommended

(defglobal
   ?*inr-max* = 1.50               ; P2 / K13
   ?*platelets-min* = 90
   ?*diameter-max-cm* = 3.0        ; P3 / K3
   ?*life-expectancy-min* = 3      ; P4 / K6
   ?*tokuhashi-6-months-min* = 9   ; P4 / B2
   ?*kps-good-min* = 80
   ?*kps-moderate-min* = 50
   ?*extraspinal-many* = 3
   ?*vertebral-many* = 3
   ?*vertebral-two* = 2)

(deftemplate patient
   (slot case)
   (slot karnofsky (default unknown)) (slot ecog (default unknown))
   (slot life-expectancy (default unknown))
   (slot inr (default unknown)) (slot platelets (default unknown)) (slot correctable (default unknown))
   (slot systemic-infection (default unknown)) (slot local-infection (default unknown))
   (slot pmma-allergy (default unknown)) (slot cardiopulmonary (default unknown))
   (slot primary (default unknown)) (slot visceral (default unknown))
   (slot extraspinal (default unknown)) (slot vertebral (default unknown))
   (slot frankel (default unknown)) (slot neurologic (default unknown)))

(deftemplate lesion
   (slot case) (slot id)
   (slot epidural (default unknown)) (slot erosion (default unknown)) (slot diameter (default unknown)))

(deftemplate finding (slot case) (slot lesion (default all)) (slot rule) (slot outcome) (slot rank))
(deftemplate tokuhashi (slot case) (slot total))
(deftemplate known (slot case) (slot lesion) (slot rank))
(deftemplate verdict (slot case) (slot lesion) (slot rank))

;;; MARK: - Revised Tokuhashi (B2), only as P4 uses it: the low end of its interval (P21), each
;;; unknown item at its fewest points (0), a KPS given as ECOG at the low end of its range

(deffunction count-points (?n ?many)
   (if (>= ?n ?many) then 0 else (if (>= ?n 1) then 1 else 2)))

(deffunction vertebral-points (?n)
   (if (>= ?n ?*vertebral-many*) then 0 else (if (= ?n ?*vertebral-two*) then 1 else 2)))

(deffunction primary-points (?p)
   (switch ?p
      (case "lung" then 0)
      (case "breast" then 5) (case "prostate" then 5) (case "thyroid" then 5)
      (case "kidney" then 3) (case "endometrial" then 3)
      (case "rectum" then 4)
      (case "liver" then 1) (case "gallbladder" then 1) (case "unknown" then 1)
      (default 2)))   ; colon, melanoma, myeloma, lymphoma, sarcoma, other: "others"

(deffunction palsy-points (?frankel ?neuro)
   (if (neq ?frankel unknown) then
      (switch ?frankel (case "A" then 0) (case "B" then 0) (case "C" then 1) (case "D" then 1) (default 2))
    else (if (eq ?neuro unknown) then unknown
    else (if (or (eq ?neuro "motor_deficit") (eq ?neuro "cauda_equina")) then 1 else 2))))

;; ECOG 0-4 as KPS ranges 90-100, 70-80, 50-60, 30-40, 10-20 (thresholds.ecog_kps): the low end.
(deffunction kps-min-of (?kps ?ecog)
   (if (numberp ?kps) then ?kps
    else (if (numberp ?ecog) then (nth$ (+ ?ecog 1) (create$ 90 70 50 30 10)) else 0)))

(deffunction tokuhashi-min (?kps ?extra ?vert ?visc ?primary ?palsy)
   (+ (if (>= ?kps ?*kps-good-min*) then 2 else (if (>= ?kps ?*kps-moderate-min*) then 1 else 0))
      (if (eq ?extra unknown) then 0 else (count-points ?extra ?*extraspinal-many*))
      (if (eq ?vert unknown) then 0 else (vertebral-points ?vert))
      (switch ?visc (case "none" then 2) (case "treatable" then 1) (default 0))
      (if (eq ?primary unknown) then 0 else (primary-points ?primary))
      (if (eq ?palsy unknown) then 0 else ?palsy)))

(defrule tokuhashi
   (patient (case ?c) (life-expectancy unknown) (karnofsky ?k) (ecog ?e) (extraspinal ?x) (vertebral ?v)
            (visceral ?vi) (primary ?p) (frankel ?f) (neurologic ?n))
   =>
   (assert (tokuhashi (case ?c) (total (tokuhashi-min (kps-min-of ?k ?e) ?x ?v ?vi ?p (palsy-points ?f ?n))))))

;;; MARK: - The criteria

(defrule eligible "no P1-P4 criterion excludes it: eligible"
   (patient (case ?c))
   => (assert (finding (case ?c) (rule eligible) (outcome fired) (rank 6))))

;; P1 per lesion: epidural tumour, foraminal erosion.
(defrule epidural (lesion (case ?c) (id ?l) (epidural ?e&~unknown&~"0"))
   => (assert (finding (case ?c) (lesion ?l) (rule epidural) (outcome fired) (rank 1))))
(defrule epidural-unknown (lesion (case ?c) (id ?l) (epidural unknown))
   => (assert (finding (case ?c) (lesion ?l) (rule epidural) (outcome unknown) (rank 1))))
(defrule erosion (lesion (case ?c) (id ?l) (erosion TRUE))
   => (assert (finding (case ?c) (lesion ?l) (rule erosion) (outcome fired) (rank 1))))
(defrule erosion-unknown (lesion (case ?c) (id ?l) (erosion unknown))
   => (assert (finding (case ?c) (lesion ?l) (rule erosion) (outcome unknown) (rank 1))))

;; P1 per patient: systemic and local infection, PMMA allergy, severe cardiopulmonary disease.
(defrule systemic-infection (patient (case ?c) (systemic-infection TRUE))
   => (assert (finding (case ?c) (rule systemic-infection) (outcome fired) (rank 1))))
(defrule systemic-infection-unknown (patient (case ?c) (systemic-infection unknown))
   => (assert (finding (case ?c) (rule systemic-infection) (outcome unknown) (rank 1))))
(defrule local-infection (patient (case ?c) (local-infection TRUE))
   => (assert (finding (case ?c) (rule local-infection) (outcome fired) (rank 1))))
(defrule local-infection-unknown (patient (case ?c) (local-infection unknown))
   => (assert (finding (case ?c) (rule local-infection) (outcome unknown) (rank 1))))
(defrule pmma-allergy (patient (case ?c) (pmma-allergy TRUE))
   => (assert (finding (case ?c) (rule pmma-allergy) (outcome fired) (rank 1))))
(defrule pmma-allergy-unknown (patient (case ?c) (pmma-allergy unknown))
   => (assert (finding (case ?c) (rule pmma-allergy) (outcome unknown) (rank 1))))
(defrule cardiopulmonary (patient (case ?c) (cardiopulmonary TRUE))
   => (assert (finding (case ?c) (rule cardiopulmonary) (outcome fired) (rank 1))))
(defrule cardiopulmonary-unknown (patient (case ?c) (cardiopulmonary unknown))
   => (assert (finding (case ?c) (rule cardiopulmonary) (outcome unknown) (rank 1))))

;; P2: INR > 1.50 or platelets < 90, three-valued: a known derangement decides even when the
;; other value is unknown.
(deffunction deranged (?inr ?plt)
   (or (and (numberp ?inr) (> ?inr ?*inr-max*)) (and (numberp ?plt) (< ?plt ?*platelets-min*))))

(defrule coagulopathy-not-correctable
   (patient (case ?c) (inr ?i) (platelets ?p) (correctable FALSE))
   (test (deranged ?i ?p))
   => (assert (finding (case ?c) (rule coagulopathy) (outcome fired) (rank 1))))
(defrule coagulopathy-correctable-or-unknown
   (patient (case ?c) (inr ?i) (platelets ?p) (correctable ?k&~FALSE))
   (test (deranged ?i ?p))
   => (assert (finding (case ?c) (rule coagulopathy) (outcome fired) (rank 3))))
(defrule coagulation-unknown
   (patient (case ?c) (inr ?i) (platelets ?p))
   (test (and (not (deranged ?i ?p)) (or (eq ?i unknown) (eq ?p unknown))))
   => (assert (finding (case ?c) (rule coagulopathy) (outcome unknown) (rank 1))))

;; P3: larger than 3.0 cm is outside the Tian 2022 cohort: at most option. Unknown size does not block.
(defrule lesion-size (lesion (case ?c) (id ?l) (diameter ?d&:(numberp ?d)&:(> ?d ?*diameter-max-cm*)))
   => (assert (finding (case ?c) (lesion ?l) (rule lesion-size) (outcome fired) (rank 5))))

;; P4: the clinicians' estimate decides; without one, a Tokuhashi whose whole interval is >= 9
;; satisfies it (P21: its low end, `total` here, is >= 9).
(defrule life-expectancy-short
   (patient (case ?c) (life-expectancy ?m&:(numberp ?m)&:(< ?m ?*life-expectancy-min*)))
   => (assert (finding (case ?c) (rule life-expectancy) (outcome fired) (rank 2))))
(defrule life-expectancy-unknown
   (tokuhashi (case ?c) (total ?t&:(< ?t ?*tokuhashi-6-months-min*)))
   => (assert (finding (case ?c) (rule life-expectancy) (outcome unknown) (rank 2))))

;;; MARK: - Combining (P19), per lesion; after every finding (lower salience)

(defrule strongest-known
   (declare (salience -10))
   (lesion (case ?c) (id ?l))
   (finding (case ?c) (lesion ?fl&:(or (eq ?fl all) (eq ?fl ?l))) (outcome fired) (rank ?k))
   (not (finding (case ?c) (lesion ?gl&:(or (eq ?gl all) (eq ?gl ?l))) (outcome fired) (rank ?j&:(< ?j ?k))))
   => (assert (known (case ?c) (lesion ?l) (rank ?k))))

(defrule decided
   (declare (salience -20))
   (known (case ?c) (lesion ?l) (rank ?k&:(<= ?k 4)))
   => (assert (verdict (case ?c) (lesion ?l) (rank ?k))))

(defrule eligible-and-nothing-open
   (declare (salience -20))
   (known (case ?c) (lesion ?l) (rank ?k&:(> ?k 4)))
   (not (finding (case ?c) (lesion ?fl&:(or (eq ?fl all) (eq ?fl ?l))) (outcome unknown)))
   => (assert (verdict (case ?c) (lesion ?l) (rank ?k))))

(defrule eligible-but-held-open
   (declare (salience -20))
   (known (case ?c) (lesion ?l) (rank ?k&:(> ?k 4)))
   (exists (finding (case ?c) (lesion ?fl&:(or (eq ?fl all) (eq ?fl ?l))) (outcome unknown)))
   => (assert (verdict (case ?c) (lesion ?l) (rank 4))))

(deffunction status-name (?rank)
   (nth$ ?rank (create$ contraindicated/absolute not_indicated contraindicated/relative undetermined option recommended)))
