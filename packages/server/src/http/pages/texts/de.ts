/** The German texts of the pages (see en.ts); a missing key fails the type check. */
import type { TextKey } from './en.js';

export const DE: Record<TextKey, string> = {
  'page.brandHome': 'Startseite',
  'page.privacy': 'Datenschutz',
  'page.terms': 'Nutzungsbedingungen',
  'page.help': 'Hilfe',
  'login.title': 'Anmelden',
  'login.continueTo': 'weiter zu',
  'login.username': 'Benutzername',
  'login.password': 'Passwort',
  'login.submit': 'Anmelden',
  'login.badCredentials': 'Benutzername oder Passwort ist falsch.',
  'login.busy': 'Gerade melden sich zu viele Personen an. Versuchen Sie es gleich noch einmal.',
  'login.tooManyAttempts':
    'Zu viele Versuche. Warten Sie {seconds} Sekunden und versuchen Sie es dann erneut.',
  'login.passkey': 'Mit einem Passkey anmelden',
  'login.siwe': 'Mit Ethereum anmelden',
  'consent.title': 'Zugriff erlauben?',
  'consent.asks': 'möchte:',
  'consent.signedInAs': 'Angemeldet als {username}.',
  'consent.changeMind':
    'Sie können das später ändern, indem Sie eine Administratorin oder einen Administrator bitten, den Zugriff zu widerrufen.',
  'consent.allow': 'Erlauben',
  'consent.deny': 'Ablehnen',
  'scope.openid': 'Bestätigen, dass Sie es sind (Ihre Kontokennung)',
  'scope.profile': 'Ihren Namen und Benutzernamen sehen',
  'scope.email': 'Ihre E-Mail-Adresse sehen',
  'scope.offline_access': 'Zugriff behalten, auch wenn Sie die Anwendung nicht nutzen (angemeldet bleiben)',
  'scope.other': 'Die Berechtigung „{scope}“ nutzen',
  'mfa.title': 'Bestätigung in zwei Schritten',
  'mfa.code': 'Code aus Ihrer Authenticator-App',
  'mfa.verify': 'Bestätigen',
  'mfa.recoveryCode': 'Oder ein Wiederherstellungscode',
  'mfa.useRecoveryCode': 'Wiederherstellungscode verwenden',
  'mfa.badCode':
    'Dieser Code stimmt nicht oder wurde schon verwendet. Versuchen Sie den nächsten Code aus Ihrer App.',
  'mfa.enrolTitle': 'Bestätigung in zwei Schritten einrichten',
  'mfa.enrolRequired':
    '{client} verlangt bei der Anmeldung einen zweiten Faktor, und Ihr Konto hat noch keinen.',
  'mfa.enrolLink': 'Richten Sie eine Authenticator-App ein',
  'mfa.enrolThen': 'und melden Sie sich dann in der Anwendung erneut an.',
  'device.title': 'Gerät verbinden',
  'device.intro':
    'Geben Sie den Code ein, den Ihr Gerät anzeigt. Fahren Sie nur fort, wenn Sie dies auf einem eigenen Gerät begonnen haben.',
  'device.code': 'Code',
  'device.continue': 'Weiter',
  'device.wrongCode':
    'Dieser Code ist ungültig, abgelaufen oder wurde schon verwendet. Prüfen Sie den Code auf Ihrem Gerät.',
  'device.confirmTitle': 'Dieses Gerät zulassen?',
  'device.onDevice': 'auf dem Gerät',
  'device.confirmHint':
    'Angemeldet als {username}. Erlauben Sie nur, wenn der Code von einem Gerät vor Ihnen stammt; hat Ihnen jemand den Code oder einen Link geschickt, lehnen Sie ab.',
  'device.goneTitle': 'Anfrage abgelaufen',
  'device.gone':
    'Diese Anfrage ist abgelaufen oder wurde schon beantwortet. Beginnen Sie auf Ihrem Gerät neu.',
  'device.deniedTitle': 'Zugriff verweigert',
  'device.denied': '{client} hat keinen Zugriff erhalten. Sie können diese Seite schließen.',
  'device.connectedTitle': 'Gerät verbunden',
  'device.connected':
    '{client} ist jetzt verbunden. Kehren Sie zu Ihrem Gerät zurück; Sie können diese Seite schließen.',
  'logout.title': 'Abmelden?',
  'logout.question': 'Möchten Sie sich von diesem Server abmelden?',
  'logout.submit': 'Abmelden',
  'logout.doneTitle': 'Abgemeldet',
  'logout.done': 'Sie sind abgemeldet. Sie können dieses Fenster schließen.',
  'error.title': 'Das hat nicht geklappt',
  'error.denied':
    'Der Zugriff wurde nicht erteilt. Kehren Sie zur Anwendung zurück, wenn Sie es erneut versuchen möchten.',
  'error.expired':
    'Die Seite ist abgelaufen oder die Anfrage wurde schon verwendet. Kehren Sie zur Anwendung zurück und beginnen Sie neu.',
  'error.busy':
    'Der Dienst ist ausgelastet oder kurz nicht erreichbar. Warten Sie einen Moment und versuchen Sie es erneut.',
  'error.server': 'Bei uns ist etwas schiefgegangen. Versuchen Sie es in ein paar Minuten erneut.',
  'error.request':
    'Die Anwendung hat eine Anfrage gesendet, die dieser Server nicht annehmen kann. Kehren Sie zur Anwendung zurück und beginnen Sie neu; passiert es wieder, wenden Sie sich an deren Support.',
  'error.reference': 'Wenn Sie sich an den Support wenden, nennen Sie diese Referenz:',
  'error.details': 'Angaben für die Entwickler der Anwendung',
};
